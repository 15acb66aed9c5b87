"""The import's report fits in one bus reply, and the file arrives base64-encoded or as text."""

from __future__ import annotations

import base64
import json

import pytest

from afas_habilitation.application.catalogue_import import _report, csv_text
from afas_shared.contracts.limits import CATALOGUE_IMPORT_REPORT_MAX_BYTES
from afas_shared.contracts.rpc.habilitation import ImportActivitiesRequestV1 as Request
from afas_shared.messaging.rpc import RpcFailure


def test_a_report_too_long_for_one_reply_is_cut_short_saying_how_many_more():
    rejected = [{"ligne": n, "motif": f"Ligne {n} : 1 colonnes au lieu de 12."} for n in range(2, 40_002)]
    report = _report(40_000, 0, 0, 0, rejected)
    assert len(json.dumps(report)) <= CATALOGUE_IMPORT_REPORT_MAX_BYTES + 1000
    *kept, last = report["rejets"]
    assert kept == rejected[: len(kept)] and len(kept) > 1000
    assert last["ligne"] == kept[-1]["ligne"]
    assert f"et {len(rejected) - len(kept)} autres lignes rejetées" in last["motif"]
    short = _report(3, 0, 0, 0, rejected[:3])
    assert short["rejets"] == rejected[:3]


def test_the_file_is_read_from_base64_or_text():
    text = "\ufeffpartenaire_siret;caf\nÉcole;080\n"
    assert csv_text(Request(csv_base64=base64.b64encode(text.encode()).decode())) == text.removeprefix("\ufeff")
    assert csv_text(Request(csv="a;b")) == "a;b"
    with pytest.raises(RpcFailure) as refused:
        csv_text(Request(csv_base64=base64.b64encode("é".encode("latin-1")).decode()))
    assert refused.value.code == "invalid" and "UTF-8" in refused.value.detail
