"""Per-client rate limiting of the gateway: token buckets in memory (a pure ASGI middleware).

This comes on top of identity's login lockout (per account): it caps how fast one client may call the
gateway at all, whatever the account.

- Each client has a bucket of ``burst`` tokens refilled at ``rate`` tokens per second; a request takes one,
  a request finding the bucket empty gets ``429`` with ``Retry-After`` (seconds) and
  ``{"detail": "Trop de requêtes : réessayez dans N secondes."}``.
- The client is the SHA-256 of its bearer token when the request has ``Authorization: Bearer …`` (or, if
  ``session_cookie`` is given, that cookie), else its address as ``request.client`` gives it: the server's
  proxy-headers handling has already put the real address there, so no forwarding header is read here.
- Submissions (any method but GET, HEAD, OPTIONS) to paths under ``strict_prefixes`` (login, activation, password
  reset: the API's and the pages' forms alike) share one stricter bucket per client address: those endpoints
  ignore the Authorization header, so keying them by it would let a client get a fresh bucket per request by
  sending made-up tokens. Displaying those pages (GET) counts in the default bucket. The trade-off is that users
  behind one address (a town hall's NAT) share it; its default leaves room for that.
- ``per_address`` (off by default) adds a ceiling per address on every request, tokens or not, against a
  flood of made-up tokens (each would otherwise start with a full bucket).
- Memory is bounded: at most ``max_buckets`` buckets, least recently used evicted first; buckets idle long
  enough to be full again (the same as a new one) are dropped first. An evicted, partly drained bucket
  starts again full: a few extra requests, never a wrong refusal.
- ``refusal`` (optional) answers the refused request instead of the JSON above when it returns a response: the
  gateway's pages get a French HTML page in the site's layout this way, the API keeps its JSON.
- ``clock`` (seconds, monotonic by default) can be replaced by a test.

The state lives in the process: with several workers or replicas, each enforces its own limits.
Requests are counted synchronously between two awaits, so no lock is needed on the event loop.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass

from starlette.requests import cookie_parser
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from afas_shared.french_plural import counted

HEALTH_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class RateLimit:
    """``burst`` requests at once, then ``rate`` requests per second."""

    rate: float
    burst: int

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst < 1:
            raise ValueError(f"a rate limit needs rate > 0 and burst >= 1, not {self}")

    @classmethod
    def per_minute(cls, requests: float, burst: int) -> RateLimit:
        return cls(rate=requests / 60, burst=burst)

    @property
    def refill_seconds(self) -> float:
        """Time for an empty bucket to be full again."""
        return self.burst / self.rate


class _Bucket:
    __slots__ = ("limit", "tokens", "updated")

    def __init__(self, limit: RateLimit, now: float) -> None:
        self.limit = limit
        self.tokens = float(limit.burst)
        self.updated = now

    def refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(float(self.limit.burst), self.tokens + elapsed * self.limit.rate)
        self.updated = now

    def full_at(self, now: float) -> bool:
        return self.tokens + max(0.0, now - self.updated) * self.limit.rate >= self.limit.burst


class TokenBuckets:
    """Token buckets by key, at most ``max_size`` of them (least recently used evicted)."""

    def __init__(self, max_size: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        if max_size < 1:
            raise ValueError("max_size must be at least 1")
        self.max_size = max_size
        self.clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def __contains__(self, key: object) -> bool:
        return key in self._buckets

    def __iter__(self) -> Iterator[str]:
        """The keys, least recently used first (keys hold token hashes and addresses, never a token)."""
        return iter(self._buckets)

    def take(self, key: str, limit: RateLimit) -> float:
        """Take a token from ``key``'s bucket: 0 when granted, else the seconds until one is available."""
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            self._make_room(now)
            bucket = self._buckets[key] = _Bucket(limit, now)
        else:
            self._buckets.move_to_end(key)
            bucket.refill(now)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / limit.rate

    def _make_room(self, now: float) -> None:
        # Idle buckets are at the front (least recently used): drop those that are full again, they hold no state
        while self._buckets:
            oldest = next(iter(self._buckets.values()))
            if not oldest.full_at(now):
                break
            self._buckets.popitem(last=False)
        while len(self._buckets) >= self.max_size:
            self._buckets.popitem(last=False)


# A page of the application fires a few dozen calls at once, then a user clicks at human speed.
DEFAULT_LIMIT = RateLimit(rate=10.0, burst=60)
# Login, activation, reset: 20 at once from one address (a morning rush behind a NAT), then 20 a minute.
STRICT_LIMIT = RateLimit.per_minute(20, burst=20)


def retry_after_seconds(retry_after: float) -> int:
    return max(1, math.ceil(retry_after))


def too_many_requests(retry_after: float) -> JSONResponse:
    seconds = retry_after_seconds(retry_after)
    return JSONResponse(
        {"detail": f"Trop de requêtes : réessayez dans {counted(seconds, 'seconde')}."},
        status_code=429,
        headers={"Retry-After": str(seconds)},
    )


class RateLimitMiddleware:
    """Token-bucket rate limiting per client; see the module docstring.

    ``default``: limit of each client (bearer token, else address) on every path but the strict and exempt ones.
    ``strict``: limit of each address on paths under ``strict_prefixes``.
    ``per_address``: optional ceiling of each address on every limited request, on top of the above.
    ``exempt_paths``: never limited (probes and metrics scraping).
    ``session_cookie``: name of a cookie holding the session token, used as a bearer when there is no header.
    ``refusal``: given the request and the seconds to wait, the answer to a refused request (``None``: the JSON).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        default: RateLimit = DEFAULT_LIMIT,
        strict: RateLimit = STRICT_LIMIT,
        strict_prefixes: Sequence[str] = ("/api/v1/auth/",),
        per_address: RateLimit | None = None,
        exempt_paths: Collection[str] = HEALTH_PATHS,
        session_cookie: str | None = None,
        max_buckets: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        refusal: Callable[[Scope, int], Response | None] | None = None,
    ) -> None:
        self.app = app
        self.default = default
        self.strict = strict
        self.strict_prefixes = tuple(strict_prefixes)
        self.per_address = per_address
        self.exempt_paths = frozenset(exempt_paths)
        self.session_cookie = session_cookie
        self.buckets = TokenBuckets(max_buckets, clock)
        self.refusal = refusal

    def _token(self, scope: Scope) -> str | None:
        cookie_header = None
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                scheme, _, credentials = value.decode("latin-1").partition(" ")
                if scheme.lower() == "bearer" and credentials.strip():
                    return credentials.strip()
            elif name == b"cookie":
                cookie_header = value.decode("latin-1")
        if self.session_cookie and cookie_header:
            return cookie_parser(cookie_header).get(self.session_cookie) or None
        return None

    def wait_for(self, scope: Scope) -> float:
        """Count the request ``scope``: 0 when it may go on, else the seconds the client should wait."""
        client = scope.get("client")
        address = f"a:{client[0]}" if client else "a:unknown"
        path: str = scope.get("path", "")
        if self.per_address is not None:
            wait = self.buckets.take("all|" + address, self.per_address)
            if wait > 0:
                return wait
        if scope.get("method", "GET") not in READ_METHODS and any(path.startswith(p) for p in self.strict_prefixes):
            return self.buckets.take("strict|" + address, self.strict)
        token = self._token(scope)
        key = "t:" + hashlib.sha256(token.encode()).hexdigest() if token else address
        return self.buckets.take("default|" + key, self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path", "") in self.exempt_paths:
            await self.app(scope, receive, send)
            return
        wait = self.wait_for(scope)
        if wait > 0:
            answer = self.refusal(scope, retry_after_seconds(wait)) if self.refusal else None
            await (answer or too_many_requests(wait))(scope, receive, send)
            return
        await self.app(scope, receive, send)
