"""The gateway's rate limiter: token buckets per client, a stricter one for authentication, bounded memory."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from afas_declaration.gateway.hardening.rate_limit import RateLimit, RateLimitMiddleware, TokenBuckets


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_app() -> FastAPI:
    app = FastAPI()

    @app.get("/api/v1/declarations")
    async def declarations() -> dict[str, str]:
        return {"ok": "oui"}

    @app.post("/api/v1/auth/login")
    async def login() -> dict[str, str]:
        return {"jeton": "t"}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def limiter(clock: FakeClock, **options) -> RateLimitMiddleware:
    settings = {"default": RateLimit(rate=1.0, burst=3), "strict": RateLimit(rate=0.1, burst=2), **options}
    return RateLimitMiddleware(make_app(), clock=clock, **settings)


def client(app, address: str = "192.0.2.1") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 40000)), base_url="http://gw")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def statuses(http: httpx.AsyncClient, count: int, path: str = "/api/v1/declarations", **kwargs) -> list[int]:
    method = http.post if "login" in path else http.get
    return [(await method(path, **kwargs)).status_code for _ in range(count)]


async def test_the_burst_passes_then_429_with_retry_after(clock):
    async with client(limiter(clock)) as http:
        assert await statuses(http, 3) == [200, 200, 200]
        refused = await http.get("/api/v1/declarations")
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"
    assert refused.json() == {"detail": "Trop de requêtes : réessayez dans 1 seconde."}


async def test_retry_after_counts_whole_seconds_in_french(clock):
    app = limiter(clock, default=RateLimit(rate=0.25, burst=1))
    async with client(app) as http:
        await http.get("/api/v1/declarations")
        refused = await http.get("/api/v1/declarations")
        clock.advance(1.5)
        still = await http.get("/api/v1/declarations")
    assert refused.headers["retry-after"] == "4"
    assert refused.json()["detail"] == "Trop de requêtes : réessayez dans 4 secondes."
    assert still.status_code == 429 and still.headers["retry-after"] == "3"  # 2.5 s left, rounded up


async def test_tokens_come_back_as_time_passes(clock):
    async with client(limiter(clock)) as http:
        assert await statuses(http, 4) == [200, 200, 200, 429]
        clock.advance(1.0)
        assert await statuses(http, 2) == [200, 429]
        clock.advance(60)  # refilled up to the burst, not beyond
        assert await statuses(http, 4) == [200, 200, 200, 429]


async def test_clients_are_independent(clock):
    app = limiter(clock)
    async with client(app, "192.0.2.1") as first, client(app, "192.0.2.2") as second:
        assert await statuses(first, 4) == [200, 200, 200, 429]
        assert await statuses(second, 3) == [200, 200, 200]
        # behind one address, each bearer token has its own bucket
        assert await statuses(first, 3, headers=bearer("jeton-a")) == [200, 200, 200]
        assert await statuses(first, 1, headers=bearer("jeton-a")) == [429]
        assert await statuses(first, 1, headers=bearer("jeton-b")) == [200]
    # the same token from another address is the same client
    async with client(app, "198.51.100.7") as moved:
        assert await statuses(moved, 1, headers=bearer("jeton-a")) == [429]
    assert not any("jeton" in key for key in app.buckets)  # only hashes are kept


async def test_login_has_a_stricter_bucket_of_its_own(clock):
    app = limiter(clock)
    async with client(app) as http:
        assert await statuses(http, 3, "/api/v1/auth/login") == [200, 200, 429]
        # made-up tokens do not open new login buckets
        assert await statuses(http, 1, "/api/v1/auth/login", headers=bearer("invente")) == [429]
        refused = await http.post("/api/v1/auth/login")
        # the rest of the API is not affected
        assert await statuses(http, 3) == [200, 200, 200]
    assert refused.headers["retry-after"] == "10"
    clock.advance(10)
    async with client(app) as http:
        assert await statuses(http, 2, "/api/v1/auth/login") == [200, 429]


async def test_the_session_cookie_can_identify_the_client(clock):
    app = limiter(clock, session_cookie="afas_session")
    async with client(app) as http:
        assert await statuses(http, 3, headers={"Cookie": "afas_session=s1"}) == [200, 200, 200]
        assert await statuses(http, 1, headers={"Cookie": "afas_session=s1"}) == [429]
        assert await statuses(http, 1, headers={"Cookie": "afas_session=s2"}) == [200]
        # the Authorization header comes first
        assert await statuses(http, 1, headers={**bearer("b1"), "Cookie": "afas_session=s1"}) == [200]


async def test_a_ceiling_per_address_stops_made_up_tokens(clock):
    app = limiter(clock, per_address=RateLimit(rate=1.0, burst=5))
    async with client(app) as http:
        codes = [(await http.get("/api/v1/declarations", headers=bearer(f"faux-{i}"))).status_code for i in range(7)]
    assert codes == [200] * 5 + [429] * 2


async def test_probes_are_never_limited(clock):
    async with client(limiter(clock, default=RateLimit(rate=0.01, burst=1))) as http:
        assert await statuses(http, 20, "/healthz") == [200] * 20
        assert await statuses(http, 2) == [200, 429]


async def test_memory_is_bounded(clock):
    app = limiter(clock, max_buckets=5)
    async with client(app) as http:
        for i in range(50):
            await http.get("/api/v1/declarations", headers=bearer(f"jeton-{i}"))
            assert len(app.buckets) <= 5
    buckets = TokenBuckets(max_size=3, clock=clock)
    limit = RateLimit(rate=1.0, burst=2)
    for key in ("a", "b", "c"):
        buckets.take(key, limit)
    buckets.take("a", limit)  # "a" used again: "b" is now the least recently used
    buckets.take("d", limit)
    assert "b" not in buckets and {"a", "c", "d"} <= set(buckets)
    # buckets idle long enough to be full again are dropped before any busy one
    clock.advance(10)
    buckets.take("e", limit)
    assert len(buckets) == 1 and "e" in buckets


def test_rate_limits_are_validated():
    with pytest.raises(ValueError):
        RateLimit(rate=0, burst=1)
    with pytest.raises(ValueError):
        RateLimit(rate=1, burst=0)
    assert RateLimit.per_minute(30, burst=5) == RateLimit(rate=0.5, burst=5)
    with pytest.raises(ValueError):
        TokenBuckets(max_size=0)


async def test_the_login_pages_share_the_api_login_bucket_and_displaying_them_is_not_counted(clock):
    from afas_declaration.gateway import LOGIN_PATHS

    app = FastAPI()
    for path in ("/api/v1/auth/login", "/connexion", "/mot-de-passe-oublie", "/mot-de-passe/nouveau", "/activation"):
        app.add_api_route(path, lambda: {"ok": "oui"}, methods=["GET", "POST"])
    limited = RateLimitMiddleware(
        app, clock=clock, default=RateLimit(rate=1.0, burst=50), strict=RateLimit(0.1, 4), strict_prefixes=LOGIN_PATHS
    )
    async with client(limited) as http:
        assert [(await http.get("/connexion")).status_code for _ in range(10)] == [200] * 10
        posted = [
            (await http.post(path)).status_code
            for path in ("/api/v1/auth/login", "/connexion", "/mot-de-passe-oublie", "/activation")
        ]
        assert posted == [200, 200, 200, 200]
        assert (await http.post("/mot-de-passe/nouveau")).status_code == 429
        assert (await http.post("/connexion")).status_code == 429
        assert (await http.post("/api/v1/auth/login")).status_code == 429
