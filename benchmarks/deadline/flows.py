"""The replay of a deadline day: bounded concurrent flows, each a user session (one login) that fills, checks and
transmits several declarations, 7 calls each — GET the declaration, 2 form saves with their version, controls,
estimate, transmit with an Idempotency-Key, the PDF receipt. Every call is timed; every failure is counted by step
and status (0: no answer), never retried, so the errors are the platform's."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx

from afas_shared.testing.eaje import EAJE_ACTIVITY, EAJE_BUDGET

from .declarations import ADMIN, PASSWORD

STEPS = ("login", "get", "save_activity", "save_financial", "controls", "estimate", "transmit", "receipt")
ACTIVITY_VALUES = {**EAJE_ACTIVITY, "heures_facturees": "62000"}  # no anomaly left to justify: transmittable
REQUEST_TIMEOUT_SECONDS = 120.0  # a loaded box answers late; a late answer is measured, not failed
RECEIPT_PATIENCE_SECONDS = 120.0  # a receipt « en préparation » is waited for (its wait is in the step's time)
SESSION_HEADER = "X-Session-Token"


@dataclass
class Record:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {step: [] for step in STEPS})
    errors: Counter[tuple[str, int]] = field(default_factory=Counter)
    unanswered: Counter[str] = field(default_factory=Counter)  # why a call got no answer (the client's exception)
    receipts: dict[str, int] = field(default_factory=dict)  # declaration -> transmitted version with its PDF
    transmitted: dict[str, int] = field(default_factory=dict)  # declaration -> version the transmit answered
    declarations_done: int = 0


class Session:
    """One user's session: its token, slid by the gateway's X-Session-Token as a browser would keep it."""

    def __init__(self, client: httpx.AsyncClient, record: Record) -> None:
        self.client, self.record, self.token = client, record, ""

    async def call(self, step: str, method: str, url: str, **kwargs) -> httpx.Response | None:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})} if self.token else {}
        started = time.perf_counter()
        try:
            answer = await self.client.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            self.record.errors[(step, 0)] += 1
            self.record.unanswered[type(exc).__name__] += 1
            return None
        self.record.latencies[step].append(time.perf_counter() - started)
        if answer.status_code >= 400:
            self.record.errors[(step, answer.status_code)] += 1
            return None
        self.token = answer.headers.get(SESSION_HEADER, self.token)
        return answer

    async def login(self) -> bool:
        body = {"identifiant": ADMIN, "mot_de_passe": PASSWORD}
        answer = await self.call("login", "POST", "/api/v1/auth/login", json=body)
        self.token = answer.json()["jeton"] if answer is not None else ""
        return answer is not None

    async def declare(self, declaration: str) -> None:
        url = f"/api/v1/declarations/{declaration}"
        answer = await self.call("get", "GET", url)
        if answer is None:
            return
        forms = answer.json()["formulaires"]
        activity = next((f for f in forms if f["type"] == "activite"), None)
        financial = next((f for f in forms if f["type"] != "activite"), None)
        if activity is None or financial is None:
            self.record.errors[("get", -1)] += 1  # -1: an answer without the two forms
            return
        saves = (("save_activity", activity, ACTIVITY_VALUES), ("save_financial", financial, EAJE_BUDGET))
        for step, form, values in saves:
            body = {"version": form["version"], "valeurs": values}
            if await self.call(step, "PUT", f"/api/v1/forms/{form['id']}", json=body) is None:
                return
        controls = await self.call("controls", "POST", f"{url}/controls")
        if controls is None:
            return
        if not controls.json().get("transmissible"):
            self.record.errors[("controls", -1)] += 1  # -1: answered, but not transmittable
            return
        if await self.call("estimate", "GET", f"{url}/estimate") is None:
            return
        key = {"Idempotency-Key": str(uuid.uuid4())}
        sent = await self.call("transmit", "POST", f"{url}/transmit", json={"signature": True}, headers=key)
        if sent is None:
            return
        version = int(sent.json().get("version", 1))
        self.record.transmitted[declaration] = version
        if await self.receipt(declaration, version):
            self.record.receipts[declaration] = version
            self.record.declarations_done += 1

    async def receipt(self, declaration: str, version: int, step: str = "receipt") -> bool:
        url = f"/api/v1/declarations/{declaration}/versions/{version}/accuse.pdf"
        headers = {"Authorization": f"Bearer {self.token}"}
        started = time.perf_counter()
        while True:
            try:
                answer = await self.client.get(url, headers=headers)
            except httpx.HTTPError as exc:
                self.record.errors[(step, 0)] += 1
                self.record.unanswered[type(exc).__name__] += 1
                return False
            waiting = answer.status_code in (202, 503) and "retry-after" in answer.headers
            if waiting and time.perf_counter() - started < RECEIPT_PATIENCE_SECONDS:
                await asyncio.sleep(min(1.0, float(answer.headers["retry-after"])))
                continue
            self.record.latencies[step].append(time.perf_counter() - started)
            if answer.status_code != 200 or not answer.content.startswith(b"%PDF"):
                self.record.errors[(step, answer.status_code if answer.status_code != 200 else -1)] += 1
                return False
            return True


async def replay(gateway: str, declarations: list[str], flows: int, per_session: int) -> tuple[Record, float]:
    """The day's replay with ``flows`` concurrent sessions of ``per_session`` declarations; (record, seconds)."""
    record = Record()
    queue: asyncio.Queue[list[str]] = asyncio.Queue()
    for start in range(0, len(declarations), per_session):
        queue.put_nowait(declarations[start : start + per_session])
    limits = httpx.Limits(max_connections=flows, max_keepalive_connections=flows)
    async with httpx.AsyncClient(base_url=gateway, timeout=REQUEST_TIMEOUT_SECONDS, limits=limits) as client:

        async def flow() -> None:
            while not queue.empty():
                batch = queue.get_nowait()
                session = Session(client, record)
                if not await session.login():
                    continue
                for declaration in batch:
                    await session.declare(declaration)

        started = time.perf_counter()
        await asyncio.gather(*(flow() for _ in range(flows)))
        return record, time.perf_counter() - started


async def fetch_missing_receipts(gateway: str, record: Record, transmitted: dict[str, int]) -> dict[str, int]:
    """After the replay: the receipt of each transmitted version the flows did not get (the check's own calls)."""
    missing = {d: v for d, v in transmitted.items() if d not in record.receipts}
    found: dict[str, int] = {}
    if not missing:
        return found
    async with httpx.AsyncClient(base_url=gateway, timeout=REQUEST_TIMEOUT_SECONDS) as client:
        session = Session(client, Record())
        await session.login()
        for declaration, version in missing.items():
            if await session.receipt(declaration, version, step="receipt"):
                found[declaration] = version
    return found
