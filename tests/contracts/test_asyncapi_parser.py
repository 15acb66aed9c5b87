"""The official AsyncAPI parser accepts every checked-in document, without errors or warnings.

Consumers outside the platform load these documents with the AsyncAPI tooling, not with our
JSON Schema checks; the parser also runs the AsyncAPI rule set (examples against their schemas,
operation and channel references, server security), which our own tests do not restate.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = sorted((ROOT / "shared/src/afas_shared/contracts/asyncapi").glob("*.json"))
NODE_MODULES = ROOT / "tests/e2e/node_modules"
CHECK = Path(__file__).with_name("asyncapi_parser_check.mjs")


def _parse(paths: list[Path]) -> list[dict]:
    node = shutil.which("node")
    assert node, "node is needed to run the AsyncAPI parser (Debian's nodejs)"
    assert (NODE_MODULES / "@asyncapi/parser").is_dir(), "run `make browser-tools` (npm ci in tests/e2e)"
    # The script runs from tests/e2e so Node resolves the parser from its node_modules.
    script = NODE_MODULES.parent / f".asyncapi_parser_check_{uuid.uuid4().hex}.mjs"
    script.write_text(CHECK.read_text())
    try:
        done = subprocess.run(
            [node, str(script), *map(str, paths)],
            cwd=NODE_MODULES.parent, capture_output=True, text=True, timeout=300, check=False,
        )
    finally:
        script.unlink(missing_ok=True)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def test_every_document_parses_with_no_error_and_no_warning():
    assert len(DOCUMENTS) == 5
    results = _parse(DOCUMENTS)
    assert [Path(r["path"]).name for r in results] == [p.name for p in DOCUMENTS]
    for result in results:
        assert result["parsed"], result
        assert result["errors"] == [], result
        assert result["warnings"] == [], result


def test_the_parser_refuses_a_broken_document(tmp_path):
    """The check can fail: an operation pointing to a channel that does not exist is reported."""
    document = json.loads(DOCUMENTS[0].read_text())
    name, operation = next(iter(document["operations"].items()))
    operation["channel"] = {"$ref": "#/channels/does.not.exist"}
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(document))
    (result,) = _parse([broken])
    assert result["errors"] or not result["parsed"], f"{name}: a dangling channel was accepted"
