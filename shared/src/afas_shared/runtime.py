"""Everything a service process runs beside its own code: database, bus, relay, HTTP, health.

A service's ``bootstrap.py`` builds one ``ServiceRuntime``, registers its consumers, RPC handlers
and routers on it, and asks it for the FastAPI app. Start-up never crash-loops: migrations and
the broker connection are retried in the background while ``/readyz`` says not ready; then identity's
public keys are fetched (retried until identity answers): without them no session can be checked, so the
service is not ready before it holds them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, cast

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from faststream.specification import AsyncAPI
from opentelemetry.sdk.trace import SpanProcessor
from starlette.types import ASGIApp, Receive, Scope, Send

from afas_shared.auth.credential import CREDENTIAL_HEADER, Responder, SessionGuard, credential
from afas_shared.auth.revocation import RevocationList, load_revocations, revocation_handler
from afas_shared.auth.tokens import TokenVerifier
from afas_shared.auth.verified_sessions import VerifiedSessions
from afas_shared.bus import Bus, RpcHandler
from afas_shared.clock import Clock, SystemClock
from afas_shared.contracts.asyncapi_wire import complete as complete_asyncapi
from afas_shared.contracts.envelope import EventData
from afas_shared.contracts.events.identity import SessionRevokedV1
from afas_shared.db import migrations
from afas_shared.db.engine import Database
from afas_shared.http.health import health_router, metrics_router
from afas_shared.http.middleware import UNTRACED, RequestContextMiddleware
from afas_shared.messaging.consumer import AggregateKey, Handler
from afas_shared.messaging.relay import OutboxRelay
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.messaging.unit_of_work import UnitOfWork, unit_of_work
from afas_shared.refusals import Refused
from afas_shared.settings import ServiceSettings
from afas_shared.telemetry import ServiceTelemetry, bus_samplers, configure_logging

log = logging.getLogger(__name__)


class ServiceRuntime:
    def __init__(
        self,
        name: str,
        version: str,
        package: str,
        settings: ServiceSettings,
        *,
        span_processor: SpanProcessor | None = None,
        configure_logs: bool = True,
    ) -> None:
        self.name = name
        self.version = version
        self.package = package
        self.settings = settings
        if configure_logs:
            configure_logging(name, settings.common.log_level)
        self.db = Database(settings.database_url, busy_timeout_seconds=settings.database_busy_timeout_seconds)
        self.telemetry = ServiceTelemetry(name, version, settings.common, self.db, span_processor)
        self.tracer_provider = self.telemetry.tracer_provider
        self.tracer = self.tracer_provider.get_tracer(f"afas.{name}")
        self.bus = Bus(name, settings, self.tracer_provider, traced=self.telemetry.traced)
        self.relay = OutboxRelay(
            name, self.db, self.bus.jetstream, self.bus.names, poll_seconds=settings.outbox_poll_seconds
        )
        self.clock: Clock = SystemClock()  # tests replace it with a ManualClock
        self.state: dict[str, Any] = {}  # service-wide singletons a service's own code keeps
        self.revocations = RevocationList()
        self.tokens = TokenVerifier(self._fetch_jwks, _RuntimeClock(self), self.revocations)
        # The tokens this process verified, remembered a minute (expiry, revocation and key checked on every use):
        # the gateway's requests and every service's RPCs carry the same session token call after call (issue 16)
        self.verified_sessions = VerifiedSessions(self.tokens, self.revocations, lambda: self.clock.now())
        self.responder = Responder(name, self.verified_sessions)
        self._jwks_source: Callable[[], Awaitable[dict[str, Any]]] | None = None
        self._keys_wanted = asyncio.Event()  # wakes the key fetcher's retry (a new source of keys)
        self._keys_task: asyncio.Task | None = None
        self.accepts_sessions = False
        self.routers: list[APIRouter] = []
        self.internal_routers: list[APIRouter] = []  # /internal/*: on the internal port only
        # (middleware class, options): outermost last, so the gateway's hardening wraps every answer
        self.http_middleware: list[tuple[Any, dict[str, Any]]] = []  # (an ASGI middleware class, its options)
        self.exception_handlers: dict[Any, Any] = {}
        self.openapi_customizers: list[Callable[[dict[str, Any]], None]] = []  # edit the public OpenAPI once built
        self._periodic: list[tuple[float, Callable[[], Any]]] = bus_samplers(name, self.bus, self.db)  # bus gauges
        self._periodic_tasks: list[asyncio.Task] = []
        self.migrated = False
        self._bring_up: asyncio.Task | None = None
        self.rpc("status", self._status)

    # --- registration -------------------------------------------------------------------------

    def consume(
        self, contract: type[EventData], handler: Handler, name: str | None = None, key: AggregateKey | None = None
    ) -> None:
        """Handle ``contract``'s events, one at a time per aggregate: the envelope's subject, or ``key`` of it."""
        self.bus.consume(contract, handler, self.db, self.relay.wake, name, key)

    def rpc(self, verb: str, handler: RpcHandler) -> None:
        """Answer ``<service>.rpc.<verb>.v1``; the handler sees an ``actor`` only from a verified credential."""

        async def authenticated(payload: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
            trusted = await self.responder.authenticate(verb, payload, headers)
            # Calls the handler makes to other services go on with its caller's credential.
            scope = credential.set(headers.get(CREDENTIAL_HEADER))
            try:
                return await handler(trusted)
            except (RpcFailure, Refused) as refusal:
                self.responder.refused(verb, refusal, trusted.get("actor"))
                raise
            finally:
                credential.reset(scope)

        self.bus.rpc(verb, authenticated)

    def accept_sessions(self) -> None:
        """Verify user session tokens here: identity's public keys, and its revocations within a second."""
        self.accepts_sessions = True
        self.consume(SessionRevokedV1, revocation_handler(self.revocations))

    @property
    def jwks_source(self) -> Callable[[], Awaitable[dict[str, Any]]] | None:
        """Where identity's public keys come from: identity over the bus, unless set (identity itself, tests)."""
        return self._jwks_source

    @jwks_source.setter
    def jwks_source(self, source: Callable[[], Awaitable[dict[str, Any]]] | None) -> None:
        self._jwks_source = source
        self.tokens.source_changed()
        self._keys_wanted.set()  # a fetcher waiting to retry tries the new source at once

    async def _fetch_jwks(self) -> dict[str, Any]:
        if self._jwks_source is not None:
            return await self._jwks_source()
        return (await self.request("identity", "jwks"))["result"]

    def verify_sessions_with(
        self, jwks_source: Callable[[], Awaitable[dict[str, Any]]], session_guard: SessionGuard
    ) -> None:
        """For identity itself: its own keys, and its own table of sessions instead of the revocation events."""
        self.jwks_source = jwks_source
        self.responder.session_guard = session_guard

    def every(self, seconds: float, job: Callable[[], Any]) -> None:
        """Run ``job`` every ``seconds`` once the service is up (and once right away); errors are logged."""
        self._periodic.append((seconds, job))

    def include_router(self, router: APIRouter) -> None:
        """Serve ``router`` on the public port, or on the internal one only if its prefix is ``/internal``."""
        (self.internal_routers if is_internal_path(router.prefix) else self.routers).append(router)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        async with unit_of_work(self.db, self.relay.wake) as uow:
            yield uow

    async def request(self, service: str, verb: str, payload: dict[str, Any] | None = None, **kw) -> dict[str, Any]:
        return await self.bus.request(service, verb, payload, **kw)

    # --- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        self._bring_up = asyncio.create_task(self._come_up(), name=f"bring-up-{self.name}")

    async def wait_ready(self, timeout: float = 30.0) -> None:
        assert self._bring_up is not None, "start() first"
        await asyncio.wait_for(asyncio.shield(self._bring_up), timeout)

    async def _come_up(self) -> None:
        await self._retry("database migration", self._migrate)
        await self._retry("broker connection", self._connect)
        self.relay.start()
        self._keys_task = asyncio.create_task(self._fetch_keys(), name=f"keys-{self.name}")
        self._periodic_tasks = [asyncio.create_task(self._repeat(s, j)) for s, j in self._periodic]
        log.info("%s up (database %s, bus %s)", self.name, self.db.backend, self.settings.common.nats_url)

    async def _fetch_keys(self) -> None:
        """Get identity's public keys before saying ready: retried (identity may be down), never given up."""
        delay = 0.2
        while not self.tokens.has_keys:
            self._keys_wanted.clear()
            try:
                await self.tokens.prime()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # the verifier has logged the failure (warning): this says what happens next
                log.info("%s not ready: no keys from identity yet (%s); retrying in %.1fs", self.name, exc, delay)
                try:  # a new source of keys (identity itself, a test's issuer) is tried at once
                    await asyncio.wait_for(self._keys_wanted.wait(), delay)
                except TimeoutError:
                    pass
                delay = min(delay * 2, 5.0)
        log.info("%s ready: identity's keys held (%d)", self.name, len(self.tokens.known_kids))

    async def wait_for_keys(self, timeout: float = 30.0) -> None:
        """Until the service holds identity's keys (tests: ``running()`` waits for bring-up only)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not self.tokens.has_keys:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{self.name} still has no keys after {timeout}s")
            await asyncio.sleep(0.02)

    async def _migrate(self) -> None:
        await asyncio.to_thread(migrations.upgrade, self.package, self.settings.database_url)
        if self.accepts_sessions:  # a restart must not forget the sessions revoked while it was down
            await load_revocations(self.db, self.revocations, self.clock.now())
        self.migrated = True

    async def _connect(self) -> None:
        try:
            await self.bus.connect()
        except BaseException:
            await self.bus.close()
            raise

    async def _retry(self, what: str, step: Callable[[], Any]) -> None:
        delay = 0.2
        while True:
            try:
                await step()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("%s failed: %s; retrying in %.1fs", what, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _repeat(self, seconds: float, job: Callable[[], Any]) -> None:
        while True:
            try:
                await job()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("periodic job %s failed", getattr(job, "__name__", job))
            await asyncio.sleep(seconds)

    async def stop(self) -> None:
        """Stop everything this runtime started; each step is bounded so a stuck one cannot hang shutdown."""
        tasks = [*self._periodic_tasks, *(t for t in (self._bring_up, self._keys_task) if t is not None)]
        for task in tasks:
            task.cancel()
        await self._bounded("background tasks", asyncio.gather(*tasks, return_exceptions=True))
        await self._bounded("outbox relay", self.relay.stop())
        await self._bounded("bus", self.bus.close())
        await self._bounded("database", self.db.dispose())
        self.telemetry.stop()

    async def _bounded(self, what: str, step: Any, seconds: float = 10.0) -> None:
        try:
            await asyncio.wait_for(step, seconds)
        except TimeoutError:
            log.error("stopping %s took more than %.0fs: abandoned", what, seconds)
        except Exception as exc:  # shutting down: report and carry on with the next step
            log.warning("stopping %s: %s", what, exc)

    # --- health ---------------------------------------------------------------------------------

    async def readiness(self) -> dict[str, bool]:
        """Ready only when it can answer: database migrated, broker connected, identity's keys held."""
        return {
            "database": self.migrated and await self.db.ping(),
            "broker": self.bus.connected(),
            "keys": self.tokens.has_keys,
        }

    async def _status(self, _payload: dict[str, Any]) -> dict[str, Any]:
        checks = await self.readiness()
        return {
            "name": self.name,
            "version": self.version,
            "database": self.db.backend,
            "ready": all(checks.values()),
            "checks": checks,
        }

    async def status(self) -> dict[str, Any]:
        return await self._status({})

    def asyncapi(self) -> dict[str, Any]:
        spec = AsyncAPI(
            self.bus.broker,
            title=f"AFAS {self.name}",
            version=self.version,
            description=f"Events published and consumed by the AFAS {self.name} service. "
            "Every event travels in the envelope described by its payload schema; "
            "subjects are `<producer>.<event>.v<major>`.",
        )
        return complete_asyncapi(spec.to_specification().to_jsonable())  # headers, examples, verbs, security

    # --- HTTP -----------------------------------------------------------------------------------

    def create_app(self, **fastapi_kwargs: Any) -> FastAPI:
        """The public app (``http_port``): everything but ``/internal/*`` and ``/metrics``, which answer 404.

        Its lifespan starts and stops the runtime; the internal app (``create_internal_app``) has none.
        """

        @asynccontextmanager
        async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
            await self.start()
            try:
                yield
            finally:
                await self.stop()

        app = self._app(fastapi_kwargs.pop("title", f"AFAS {self.name}"), lifespan, **fastapi_kwargs)
        app.add_middleware(_NotServedHere)  # innermost: the 404 still gets the gateway's headers
        app.add_middleware(RequestContextMiddleware, service=self.name)
        for middleware, options in self.http_middleware:
            app.add_middleware(middleware, **options)
        app.include_router(health_router(self.readiness))
        self._add_asyncapi(app)
        for router in self.routers:
            app.include_router(router)
        if self.openapi_customizers:
            built = app.openapi

            def openapi() -> dict[str, Any]:
                if app.openapi_schema is None:
                    schema = built()
                    for customize in self.openapi_customizers:
                        customize(schema)
                return cast(dict[str, Any], app.openapi_schema)  # built() stored the schema

            app.openapi = openapi  # type: ignore[method-assign]
        return app

    def create_internal_app(self) -> FastAPI:
        """The internal app (``internal_port``): health, ``/metrics``, AsyncAPI and the ``/internal/*`` routes.

        Never exposed by a Service or an Ingress; Prometheus scrapes it. It does not start the runtime:
        it runs in the same process as the public app, whose lifespan does.
        """
        app = self._app(f"AFAS {self.name} (interne)", None)
        app.add_middleware(RequestContextMiddleware, service=self.name)
        app.include_router(health_router(self.readiness))
        app.include_router(metrics_router())
        self._add_asyncapi(app)
        for router in self.internal_routers:
            app.include_router(router)
        return app

    def _app(self, title: str, lifespan: Any, **fastapi_kwargs: Any) -> FastAPI:
        app = FastAPI(
            title=title,
            version=self.version,
            lifespan=lifespan,
            exception_handlers=self.exception_handlers,
            telemetry=self.telemetry.fastapi(exclude=lambda scope: scope.get("path") in UNTRACED),
            **fastapi_kwargs,
        )
        app.state.runtime = self
        return app

    def _add_asyncapi(self, app: FastAPI) -> None:
        @app.get("/asyncapi.json", tags=["exploitation"], summary="Document AsyncAPI des événements")
        async def asyncapi() -> dict[str, Any]:
            return self.asyncapi()


# Served on the internal port only: the public app answers 404 for them.
INTERNAL_PREFIX = "/internal"
INTERNAL_ONLY_PATHS = frozenset({"/metrics"})


def is_internal_path(path: str) -> bool:
    return path in INTERNAL_ONLY_PATHS or path == INTERNAL_PREFIX or path.startswith(INTERNAL_PREFIX + "/")


class _NotServedHere:
    """404 on the public app for the internal paths, whichever router declared them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_internal_path(scope["path"]):
            await JSONResponse({"detail": "Not Found"}, status_code=404)(scope, receive, send)
            return
        await self.app(scope, receive, send)


class _RuntimeClock:
    """Follows whichever clock the runtime has now, so a test may swap it after the wiring."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self._runtime = runtime

    def now(self):
        return self._runtime.clock.now()
