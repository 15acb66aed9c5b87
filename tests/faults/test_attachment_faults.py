"""Fault drill on the pièces justificatives (issue 19): the declaration service SIGKILLed while a file is being
uploaded, then nats-server SIGKILLed and started again on the same store (a broker of this module's own). Whatever
was listed before stays listed and downloads byte for byte; the upload the kill cut short is either listed whole or
not listed at all — never a listed file whose bytes are missing or different."""

from __future__ import annotations

import hashlib
import threading
import time

import httpx

from tests.faults.drills import KARIM, karim_forms
from tests.faults.platform import TIMEOUT, wait_for

PDF = b"%PDF-1.7\n" + b"% releve des heures\n" * 2000 + b"%%EOF\n"
BIG = b"%PDF-1.7\n" + bytes(range(256)) * 32_000 + b"%%EOF\n"  # about 8 MB: 63 chunks, time to be killed


# nats-server is killed here: a broker of this module's own (conftest ``broker``)
OWN_BROKER = True


def _upload(url: str, token: str, name: str, content: bytes) -> int:
    try:
        answer = httpx.post(
            url,
            headers={"Authorization": f"Bearer {token}"},
            files={"fichier": (name, content, "application/pdf")},
            timeout=TIMEOUT,
        )
    except httpx.HTTPError:
        return 0  # the gateway died under it
    return answer.status_code


def _listed(url: str, token: str) -> list[dict]:
    answer = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
    return answer.json() if answer.status_code == 200 else []


def test_files_survive_a_killed_gateway_mid_upload_and_a_killed_broker(platform, broker, report_measurement):
    token = platform.login(KARIM)
    declaration = karim_forms(platform, token)[0].declaration_id
    url = f"{platform.gateway}/api/v1/declarations/{declaration}/pieces-jointes"
    assert _upload(url, token, "releve.pdf", PDF) == 201

    cut: dict[str, int] = {}
    upload = threading.Thread(target=lambda: cut.update(status=_upload(url, token, "gros-scan.pdf", BIG)))
    upload.start()
    time.sleep(0.3)
    platform.kill("declaration")
    upload.join(TIMEOUT)
    gateway_back = platform.restart("declaration")
    broker.kill()
    started = time.monotonic()
    broker.start()  # same port, same store directory
    ready = platform.wait_ready()

    token = platform.login(KARIM)
    listed = wait_for(lambda: _listed(url, token), what="the files listed again")
    names = [f["nom"] for f in listed]
    assert names in (["releve.pdf"], ["releve.pdf", "gros-scan.pdf"]), (names, cut)
    expected = {"releve.pdf": PDF, "gros-scan.pdf": BIG}
    for listing in listed:
        got = httpx.get(f"{platform.gateway}{listing['lien']}", headers={"Authorization": f"Bearer {token}"})
        assert got.status_code == 200 and got.content == expected[listing["nom"]], listing["nom"]
        assert hashlib.sha256(got.content).hexdigest() == listing["sha256"]
    notes = platform.query("declaration", "SELECT count(*) FROM attachment_upload")[0][0]
    assert notes <= 1  # an object stored before the kill, for the sweep once its grace period is over
    report_measurement(
        f"fault drill attachments: gateway SIGKILLed mid-upload (answer {cut.get('status')}; listed {names}), "
        f"back in {gateway_back:.1f} s; nats-server SIGKILLed, services ready {ready:.1f} s; files read back intact "
        f"{time.monotonic() - started:.1f} s after the broker restarted; {notes} upload note left for the sweep"
    )
