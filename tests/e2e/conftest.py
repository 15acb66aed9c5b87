"""Browser journeys: the platform of the integration tests, served over real HTTP to Debian's chromium driven
by Playwright, with axe-core run on every page and a screenshot of each kept under tests/e2e/artefacts/."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn

from afas_shared.testing.fixtures import running
from tests.integration.conftest import catalogue, platform  # noqa: F401  (the same platform, served over HTTP)

HERE = Path(__file__).parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
ARTEFACTS = HERE / "artefacts"
BLOCKING_IMPACTS = ("serious", "critical")
AXE_SOURCE = AXE.read_text() if AXE.exists() else ""


def _chromium() -> str:
    path = os.environ.get("AFAS_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Debian's chromium is missing: `make test` installs it (apt-get install chromium).")
    if not AXE.exists():
        pytest.fail(f"axe-core is missing ({AXE}): `make test` installs it (npm ci --prefix tests/e2e).")
    return path


@dataclass
class Site:
    base_url: str
    browser: object
    violations: dict[str, list] = field(default_factory=dict)

    async def check(self, page, name: str) -> None:
        """Run axe-core on the page as it is now, and keep a screenshot of it."""
        # Evaluated through the DevTools protocol, not as a <script>: the pages keep their strict CSP under test
        await page.evaluate(AXE_SOURCE)
        result = await page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        serious = [
            {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:3]}
            for v in result["violations"]
            if v["impact"] in BLOCKING_IMPACTS
        ]
        if serious:
            self.violations[name] = serious
        ARTEFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)

    def assert_accessible(self) -> None:
        assert self.violations == {}, json.dumps(self.violations, ensure_ascii=False, indent=1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def gateway_url(platform, make_settings):  # noqa: F811
    """The whole platform (estimation and notification too) with its gateway on a real HTTP port."""
    async with serving(platform, make_settings) as url:
        yield url


@asynccontextmanager
async def serving(platform, make_settings, *, mails: bool = True) -> AsyncIterator[str]:  # noqa: F811
    """What ``gateway_url`` gives, for a fixture of a wider scope (a module's one platform) to serve its own; without
    the notification service when ``mails`` is false (a test that reads no mail and no message starts faster)."""
    async with AsyncExitStack() as stack:
        estimation = await stack.enter_async_context(running(make_settings("estimation")))
        if mails:
            await stack.enter_async_context(running(make_settings("notification"), clock=platform.clock))
        estimation.clock = platform.clock
        port = _free_port()
        app = platform.gateway.create_app()
        config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
        server = uvicorn.Server(config)
        served = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 (uvicorn exposes a flag, not an event)
            await asyncio.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            await served


@pytest.fixture
async def site(gateway_url):
    async with browsing(gateway_url) as opened:
        yield opened


@asynccontextmanager
async def browsing(gateway_url: str) -> AsyncIterator[Site]:
    """What ``site`` gives: Debian's chromium on the served gateway, for a fixture of any scope."""
    from playwright.async_api import async_playwright

    executable = _chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            yield Site(gateway_url, browser)
        finally:
            await browser.close()
