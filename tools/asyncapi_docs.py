"""Generate, or check, the AsyncAPI document of every service's events (checked in, served by the gateway), and the
list of the events the Caf back office reads in docs/consumers.md.

python tools/asyncapi_docs.py           # exit 1 and list differences if a document is stale
python tools/asyncapi_docs.py --write   # refresh after a reviewed contract change
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import tempfile
from pathlib import Path

from afas_shared.contracts.bus_permissions import CAF_CONSUMER_STREAMS
from afas_shared.contracts.registry import produced_by
from afas_shared.messaging.naming import BusNames
from afas_shared.settings import CommonSettings

SERVICES = ("identity", "habilitation", "declaration", "estimation", "notification")
DOCS_DIR = Path(__file__).resolve().parents[1] / "shared/src/afas_shared/contracts/asyncapi"
# The documents describe the production bus, not whichever broker the generating machine uses.
DOC_NATS_URL = "nats://nats:4222"
CONSUMER_GUIDE = Path(__file__).resolve().parents[1] / "docs/consumers.md"
BEGIN_EVENTS, END_EVENTS = "<!-- BEGIN generated events -->", "<!-- END generated events -->"


def generate(service: str) -> dict:
    config = importlib.import_module(f"afas_{service}.config")
    bootstrap = importlib.import_module(f"afas_{service}.bootstrap")
    with tempfile.TemporaryDirectory() as tmp:
        common = CommonSettings(nats_url=DOC_NATS_URL, bus_prefix="", var_dir=Path(tmp))
        runtime = bootstrap.build(config.Settings(common=common), configure_logs=False)
        return runtime.asyncapi()


def render(doc: dict) -> str:
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def event_table() -> str:
    """The events of the streams the Caf back office reads: subject, stream, what happened (the contract's doc)."""
    rows = ["| Subject | Stream | What happened |", "|---|---|---|"]
    for producer in CAF_CONSUMER_STREAMS:
        for contract in produced_by(producer):
            summary = " ".join((contract.__doc__ or "").split()).replace("|", "\\|")
            rows.append(f"| `{contract.subject()}` | `{BusNames().stream(producer)}` | {summary} |")
    return "\n".join(rows)


def guide_with_events(text: str) -> str:
    start, end = text.index(BEGIN_EVENTS) + len(BEGIN_EVENTS), text.index(END_EVENTS)
    return text[:start] + "\n" + event_table() + "\n" + text[end:]


def stale(directory: Path = DOCS_DIR, guide: Path = CONSUMER_GUIDE) -> list[str]:
    problems = []
    for service in SERVICES:
        path = directory / f"{service}.json"
        if not path.exists() or path.read_text(encoding="utf-8") != render(generate(service)):
            problems.append(f"{path} is missing or stale: run `make asyncapi` and review the diff")
    text = guide.read_text(encoding="utf-8")
    if guide_with_events(text) != text:
        problems.append(f"{guide}: the list of events is stale: run `make asyncapi`")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    if args.write:
        DOCS_DIR.mkdir(parents=True, exist_ok=True)
        for service in SERVICES:
            (DOCS_DIR / f"{service}.json").write_text(render(generate(service)), encoding="utf-8")
        CONSUMER_GUIDE.write_text(guide_with_events(CONSUMER_GUIDE.read_text(encoding="utf-8")), encoding="utf-8")
    problems = stale()
    print("\n".join(problems) or "AsyncAPI documents are up to date")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
