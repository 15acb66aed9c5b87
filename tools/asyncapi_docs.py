"""Generate, or check, the AsyncAPI document of every service's events (checked in, served by the gateway).

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

from afas_shared.settings import CommonSettings

SERVICES = ("identity", "habilitation", "declaration", "estimation", "notification")
DOCS_DIR = Path(__file__).resolve().parents[1] / "shared/src/afas_shared/contracts/asyncapi"
# The documents describe the production bus, not whichever broker the generating machine uses.
DOC_NATS_URL = "nats://nats:4222"


def generate(service: str) -> dict:
    config = importlib.import_module(f"afas_{service}.config")
    bootstrap = importlib.import_module(f"afas_{service}.bootstrap")
    with tempfile.TemporaryDirectory() as tmp:
        common = CommonSettings(nats_url=DOC_NATS_URL, bus_prefix="", var_dir=Path(tmp))
        runtime = bootstrap.build(config.Settings(common=common), configure_logs=False)
        return runtime.asyncapi()


def render(doc: dict) -> str:
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def stale(directory: Path = DOCS_DIR) -> list[str]:
    problems = []
    for service in SERVICES:
        path = directory / f"{service}.json"
        if not path.exists() or path.read_text(encoding="utf-8") != render(generate(service)):
            problems.append(f"{path} is missing or stale: run `make asyncapi` and review the diff")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    if args.write:
        DOCS_DIR.mkdir(parents=True, exist_ok=True)
        for service in SERVICES:
            (DOCS_DIR / f"{service}.json").write_text(render(generate(service)), encoding="utf-8")
    problems = stale()
    print("\n".join(problems) or "AsyncAPI documents are up to date")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
