# The entry points people type. `make run` and `make test` work on a fresh machine.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
# uv from PATH, else a private copy in .uv/ installed from PyPI (works where pip --user is refused)
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.uv/bin/uv)
PY := python3
RUN := $(UV) run --python $(PY) --frozen

.PHONY: run stop reset-demo test lint install uv browser-tools contracts asyncapi dead-letters replay-dead-letter discard-dead-letter rotate-signing-key k8s-validate settings-reference bench faults clean

uv:
	@test -x "$(UV)" || command -v uv >/dev/null 2>&1 || ($(PY) -m venv .uv && .uv/bin/pip install --quiet uv)

install: uv
	@$(UV) sync --python $(PY) --frozen --quiet

run: install
	@$(RUN) python tools/run_local.py

# Stops the platform `make run` started on this AFAS_VAR_DIR (from another terminal), as Ctrl-C would
stop: install
	@$(RUN) python tools/stop_local.py

# A fresh demo: the local state under AFAS_VAR_DIR (var/) removed, then the platform started with the demo data anew
reset-demo: install
	@$(RUN) python tools/reset_demo.py

# TEST_WORKERS=N spreads the test files over N processes (pytest-xdist, a file per worker). Off by default: on a
# 2-core machine the suite is CPU-bound (each test starts services, brokers, browsers), so two workers took as long
# as one and doubled the load every timeout has to absorb
TEST_WORKERS ?= 0
test: install browser-tools
	@$(RUN) pytest $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadfile)

# The fault drills, long form (tests/faults; the bounded form runs in `make test`); RUNS=5 runs them 5 times in a
# row and stops at the first failure
RUNS ?= 1
faults: install
	@for run in $$(seq 1 $(RUNS)); do echo "fault drills, long form: run $$run of $(RUNS)"; \
		AFAS_FAULTS_LONG=1 $(RUN) pytest tests/faults -q || exit 1; done

# Browser tests drive Debian's chromium (never a downloaded browser) and inject axe-core from the npm registry;
# the contract tests run the official AsyncAPI parser from the same registry.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser-tools:
	@command -v chromium >/dev/null 2>&1 || ($(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null)
	@(test -f tests/e2e/node_modules/axe-core/axe.min.js && \
		test -f tests/e2e/node_modules/@asyncapi/parser/package.json) || \
		npm ci --prefix tests/e2e --no-audit --no-fund --silent

# ruff, then mypy over shared/ and the domains (config: [tool.mypy] in pyproject.toml)
lint: install
	@$(RUN) ruff check .
	@$(RUN) mypy

contracts: install  ## refresh the JSON Schema snapshot after a reviewed contract change
	@$(RUN) python -m afas_shared.contracts.snapshot --write

asyncapi: install  ## refresh the AsyncAPI documents after a reviewed change
	@$(RUN) python tools/asyncapi_docs.py --write

dead-letters: install  ## make dead-letters SERVICE=habilitation [JSON=1] [ALL=1]
	@$(RUN) afas-dead-letters --service $(SERVICE) list $(if $(JSON),--json) $(if $(ALL),--all)

replay-dead-letter: install  ## make replay-dead-letter SERVICE=habilitation ID=3 [REASON="…"]: to the consumer that failed only
	@$(RUN) afas-dead-letters --service $(SERVICE) replay $(ID) $(if $(REASON),--reason "$(REASON)")

discard-dead-letter: install  ## make discard-dead-letter SERVICE=habilitation ID=3 REASON="…"
	@$(RUN) afas-dead-letters --service $(SERVICE) discard $(ID) --reason "$(REASON)"

# As the operator: identity signs new tokens with a new key, older tokens verify until they expire (README, Security).
# Locally it finds the broker of `make run` in var/nats-auth; with AFAS_NATS_URL set, give the gateway's settings.
rotate-signing-key: install
	@AFAS_DECLARATION_RPC_TIMEOUT_SECONDS=$${AFAS_DECLARATION_RPC_TIMEOUT_SECONDS:-10} $(RUN) afas-rotate-signing-key \
		$(if $(AFAS_NATS_URL),,--local $${AFAS_VAR_DIR:-var}/nats-auth)

# Renders and validates deploy/k8s/base and both overlays (overlays/dev, overlays/prod) offline
k8s-validate: install
	@$(RUN) python deploy/k8s/validate.py

# docs/operations/settings.md from the settings classes, after adding or changing a setting (a test keeps it current)
settings-reference: install
	@$(RUN) python tools/settings_reference.py --write

bench: install
	@$(RUN) python benchmarks/outbox_relay.py
	@$(RUN) python benchmarks/reestimation.py

# The PDF receipt's CPU per PDF and PDFs/s, fonts parsed per PDF (the former way) against once per process, same
# run, then in the worker pool (benchmarks/receipt_pdf.py); budget 50 ms of CPU per receipt
RECEIPT_PDFS ?= 40
.PHONY: bench-receipt
bench-receipt: install
	@$(RUN) python benchmarks/receipt_pdf.py --pdfs $(RECEIPT_PDFS)

# Logins before and after issue 16's argon2id parameters, same run (benchmarks/logins.py): raw hash time, whether a
# hash on a thread leaves the event loop free, logins/s and p50/p99 through the gateway at CLIENTS concurrent clients
CLIENTS ?= 10
LOGIN_SECONDS ?= 20
LOGIN_DB ?= sqlite
.PHONY: bench-logins
bench-logins: install
	@$(RUN) python benchmarks/logins.py --clients $(CLIENTS) --seconds $(LOGIN_SECONDS) --database $(LOGIN_DB)

# Whole-platform benchmarks run one at a time on a machine: two at once would measure each other (and share the
# database server's connections); a second one waits for the first
BENCH_ALONE := flock $(or $(TMPDIR),/tmp)/afas-platform-benchmark.lock

# A deadline day replayed on the whole platform (benchmarks/deadline_day.py): N declarations, CONCURRENCY flows,
# DB=postgresql (databases made on AFAS_BENCH_PG_ADMIN_URL, default 127.0.0.1:5432, and dropped) or sqlite
.PHONY: bench-deadline
N ?= 200
CONCURRENCY ?= 20
DB ?= postgresql
bench-deadline: install
	@$(BENCH_ALONE) $(RUN) python benchmarks/deadline_day.py --declarations $(N) --concurrency $(CONCURRENCY) --database $(DB)

# Reads under load against the same run's bare FastAPI baselines (benchmarks/reads.py), on PostgreSQL
# (AFAS_BENCH_PG_ADMIN_URL): « Mes déclarations » and one declaration, approbateur and Caf agent, at READ_CONNECTIONS
# connections, then READ_USERS users thinking 2 s between calls
READ_CONNECTIONS ?= 50
READ_USERS ?= 200
.PHONY: bench-reads
bench-reads: install
	@$(BENCH_ALONE) $(RUN) python benchmarks/reads.py --connections $(READ_CONNECTIONS) --users $(READ_USERS)

clean:
	rm -rf var .venv .uv .pytest_cache .ruff_cache .mypy_cache

# A campaign opened for JOBS_N activities as a background job on PostgreSQL (benchmarks/campaign_opening.py), with a
# separate process saving forms and registering activities alongside (each write's latency), against one bulk
# INSERT … SELECT without events in the same run; JOBS_BATCH defaults to the service's campaign_opening_batch_size
JOBS_N ?= 70000
JOBS_BATCH ?=
JOBS_DB ?= postgresql://postgres@127.0.0.1:5432/postgres
.PHONY: bench-jobs
bench-jobs: install
	@$(RUN) python benchmarks/campaign_opening.py --activities $(JOBS_N) --database-url $(JOBS_DB) \
		$(if $(JOBS_BATCH),--batch-size $(JOBS_BATCH))

# A CSV import of IMPORTS_N activities and a grant on all of them, as habilitation's background jobs on PostgreSQL
# (benchmarks/bulk_jobs.py): time to answer, time to finish, rows/s, against bulk INSERTs without checks or events
# in the same run; IMPORTS_BATCH defaults to the service's import_batch_size
IMPORTS_N ?= 70000
IMPORTS_BATCH ?=
.PHONY: bench-imports
bench-imports: install
	@$(RUN) python benchmarks/bulk_jobs.py --rows $(IMPORTS_N) --database-url $(JOBS_DB) \
		$(if $(IMPORTS_BATCH),--batch-size $(IMPORTS_BATCH))

# Notification's and declaration's consumers draining CONSUMERS_N events of the busiest kinds on PostgreSQL
# (benchmarks/consumers.py): batched (CONSUMERS_BATCH, the consumer_batch_size setting by default) against the same
# run's bare pull consumer acking without work and the former one-by-one path (batch size 1, on a tenth of them)
CONSUMERS_N ?= 20000
CONSUMERS_BATCH ?=
CONSUMERS_DB ?= postgresql://postgres@127.0.0.1:5432/postgres
.PHONY: bench-consumers
bench-consumers: install
	@$(RUN) python benchmarks/consumers.py --events $(CONSUMERS_N) --database-url $(CONSUMERS_DB) \
		$(if $(CONSUMERS_BATCH),--batch-size $(CONSUMERS_BATCH))
