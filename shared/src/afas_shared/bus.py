"""A service's connection to the bus: streams, durable consumers, RPC handlers and requests.

FastStream runs the subscribers (durable pull consumers, each handing over its fetched batches of up to
``CONSUMER_BATCH_SIZE`` messages to an ``IdempotentConsumer``, and RPC responders) and documents them
in AsyncAPI; a plain nats-py connection serves the outbox relay, whose batched async publishes
are about six times faster than awaiting each ack (stack notes).
"""

from __future__ import annotations

import asyncio
import builtins
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any, cast

import nats
from faststream.middlewares import AckPolicy
from faststream.nats import ConsumerConfig, JStream, NatsBroker, NatsMessage, PullSub
from faststream.nats.opentelemetry import NatsTelemetryMiddleware
from faststream.nats.security import NatsSecurity, NatsUserPassword
from faststream.nats.subscriber.usecases import stream_pull_subscriber
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import ConnectionClosedError, NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.errors import ServiceUnavailableError
from opentelemetry.sdk.trace import TracerProvider

from afas_shared.auth.credential import CREDENTIAL_HEADER, current_credential
from afas_shared.contracts.bus_permissions import inbox_prefix
from afas_shared.contracts.envelope import EventData
from afas_shared.contracts.registry import envelope_model, produced_by
from afas_shared.messaging import context
from afas_shared.messaging.call_budgets import timeout_for
from afas_shared.messaging.connection_options import client_options
from afas_shared.messaging.consumer import AggregateKey, Handler, IdempotentConsumer
from afas_shared.messaging.naming import BusNames
from afas_shared.messaging.reply_json import decoded_reply, encoded_reply
from afas_shared.messaging.rpc import RemoteError, RpcFailure, ServiceUnavailable
from afas_shared.messaging.streams import ensure_stream, history_days, stream_config, wait_for_stream
from afas_shared.refusals import Refused
from afas_shared.settings import ServiceSettings
from afas_shared.telemetry.rpc_metrics import timed_request, timed_responder

log = logging.getLogger(__name__)

# FastStream's pull loop suppresses nats-py's ``nats.errors.TimeoutError`` around ``fetch``, but nats-py also raises
# the builtin ``TimeoutError`` when a fetch's deadline runs out (``JetStreamContext._fetch_n``): the loop task then
# dies and FastStream's supervisor restarts it, logging an ERROR traceback once and an INFO line at each restart,
# ~200 lines a minute for an idle service. An empty fetch is the normal idle case: suppress both (the builtin is the
# nats error's base class).
if getattr(stream_pull_subscriber, "TimeoutError", None) is NatsTimeoutError:
    stream_pull_subscriber.TimeoutError = builtins.TimeoutError  # type: ignore[assignment,misc]


async def _hand_over_each_fetch(self: stream_pull_subscriber.BatchPullStreamSubscriber) -> None:
    """The consumers' batch loop. FastStream's fetches again until the batch is full or its timeout has passed, so an
    event arriving alone waited up to that second (a revoked grant still acted). This hands over what one fetch brings
    — nats-py's fetch returns as soon as messages are there, up to the batch size — as the per-message loop does: a
    lone event is handled at once, a backlog in full batches."""
    assert self.subscription, "the subscription is created before the loop starts"
    while self.running:
        messages: list[Msg] = []
        with suppress(builtins.TimeoutError, ConnectionClosedError, ServiceUnavailableError):
            messages = await self.subscription.fetch(batch=self.pull_sub.batch_size, timeout=self.pull_sub.timeout)
        if messages and self.running:
            await self.consume(messages)


stream_pull_subscriber.BatchPullStreamSubscriber._consume_pull = _hand_over_each_fetch  # type: ignore[method-assign]

# Unanswered pings before a connection is taken for dead and reconnected (its subscriptions sent again); with
# AFAS_NATS_PING_INTERVAL_SECONDS, how long a silently dead connection leaves a service deaf.
MAX_OUTSTANDING_PINGS = 3

RpcHandler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
# A responder's handler with the request's headers, where the caller's credential travels.
RpcHandlerWithHeaders = Callable[[dict[str, Any], dict[str, str]], Awaitable[dict[str, Any]]]


def _broker_logger(service: str, level: str) -> logging.Logger:
    """FastStream's own lines: per-message at DEBUG, its task supervision at INFO; shown only when debugging."""
    logger = logging.getLogger(f"afas.bus.{service}")
    logger.setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)
    return logger


class Bus:
    def __init__(
        self, service: str, settings: ServiceSettings, tracer_provider: TracerProvider, *, traced: bool = True
    ) -> None:
        self.service = service
        self.settings = settings
        # Each event applied continues its producer's trace (telemetry.event_trace), when spans go somewhere.
        self.event_tracer = tracer_provider.get_tracer("afas.consumer") if traced else None
        self.names = BusNames(settings.common.bus_prefix)
        # Its own credential and its own inbox prefix on both connections: the server lets it read only
        # the replies to its own requests (afas_shared.contracts.bus_permissions).
        self.inbox_prefix = inbox_prefix(service)
        self.broker = NatsBroker(
            settings.common.nats_url,
            security=self._security(),
            inbox_prefix=self.inbox_prefix,
            middlewares=[NatsTelemetryMiddleware(tracer_provider=tracer_provider)],
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,  # type: ignore[arg-type]  # faststream says int; nats-py takes float seconds
            connect_timeout=settings.common.nats_connect_timeout_seconds,  # type: ignore[arg-type]
            ping_interval=settings.common.nats_ping_interval_seconds,
            max_outstanding_pings=MAX_OUTSTANDING_PINGS,
            # Outside the `faststream` logger tree, so lines go through our JSON handler; one line per
            # message is debugging detail, not an operator's concern.
            logger=_broker_logger(service, settings.common.log_level),
            log_level=logging.DEBUG,
        )
        self.nc: Client | None = None
        self.js: JetStreamContext | None = None
        self.consumers: list[IdempotentConsumer] = []
        self._streams = {service}
        self.started = False
        for contract in produced_by(service):
            self._document_publication(contract)

    def _security(self) -> NatsSecurity | None:
        options = client_options(self.settings, self.service)
        if "user" in options:
            return NatsUserPassword(options["user"], options["password"], ssl_context=options.get("tls"))
        return NatsSecurity(ssl_context=options["tls"]) if "tls" in options else None

    # --- wiring (before start) ---------------------------------------------------------------

    def consume(
        self,
        contract: type[EventData],
        handler: Handler,
        db,
        after_commit,
        name: str | None = None,
        key: AggregateKey | None = None,
    ) -> None:
        consumer_name = name or self.service
        subject = contract.subject()
        consumer = IdempotentConsumer(
            BusNames.durable(consumer_name, subject),
            subject,
            handler,
            db,
            max_deliver=self.settings.consumer_max_deliver,
            backoff=self.settings.consumer_backoff_seconds,
            after_commit=after_commit,
            key=key,
            tracer=self.event_tracer,
        )
        self.consumers.append(consumer)
        self._streams.add(contract.producer)

        batch_size = self.settings.consumer_batch_size
        if batch_size > 1:
            # Each fetch (up to the batch size, as soon as messages are there: ``_hand_over_each_fetch``) is handed
            # over whole; the next fetch waits for this batch to be settled.
            async def on_batch(body: list[Any], message: NatsMessage) -> None:
                await consumer.handle_batch(cast(list[Msg], message.raw_message))  # a batch's raw message: a list

            subscribe: Callable[..., Awaitable[None]] = on_batch
            pull_sub: PullSub[bool] = PullSub(batch_size=batch_size, timeout=1.0, batch=True)
        else:  # the former path: one transaction per message, the messages of a fetch of 50 handled concurrently

            async def on_message(body: Any, message: NatsMessage) -> None:
                await consumer.handle(message.raw_message)

            subscribe, pull_sub = on_message, PullSub(batch_size=50, timeout=1.0)
        self.broker.subscriber(
            self.names.subject(subject),
            stream=JStream(self.names.stream(contract.producer), declare=False),
            durable=consumer.name,
            pull_sub=pull_sub,
            inbox_prefix=f"{self.inbox_prefix}.".encode(),
            # The server keeps two deliveries in hand beyond ours, so a process killed during the
            # last attempt still gets the message back and dead-letters it instead of losing it.
            config=ConsumerConfig(
                max_deliver=self.settings.consumer_max_deliver + 2,
                ack_wait=self.settings.consumer_ack_wait_seconds,
            ),
            ack_policy=AckPolicy.MANUAL,
            title=f"{consumer_name}:{subject}",
            description=f"{consumer_name} consumes {subject} ({contract.__doc__ or ''})".strip(),
        )(subscribe)

    def rpc(self, verb: str, handler: RpcHandlerWithHeaders, version: int = 1) -> None:
        handler = timed_responder(self.service, verb, handler)  # latency and errors per verb

        async def on_request(body: Any, message: NatsMessage) -> bytes | dict[str, Any]:
            payload = body if isinstance(body, dict) else {}
            try:
                return encoded_reply(await handler(payload, dict(message.headers or {})))
            except (RpcFailure, Refused) as refusal:  # a handler's, or a use case's independent of the bus
                return {"error": refusal.code, "detail": refusal.detail, "field": refusal.field}
            except Exception as exc:  # the caller gets a precise error instead of a timeout
                log.exception("rpc %s failed", verb)
                return {"error": f"{type(exc).__name__}: {exc}"}

        self.broker.subscriber(
            self.names.rpc(self.service, verb, version),
            queue=f"{self.service}-rpc",
            title=f"{self.service}.rpc.{verb}.v{version}",
            description=f"Request/reply: {verb} ({self.service})",
        )(on_request)

    def _document_publication(self, contract: type[EventData]) -> None:
        # Declared on the broker so the AsyncAPI document lists every event with its envelope schema;
        # the outbox relay does the actual publishing.
        self.broker.publisher(
            self.names.subject(contract.subject()),
            schema=envelope_model(contract.subject()),
            title=contract.subject(),
            description=(contract.__doc__ or "").strip(),
        )

    # --- lifecycle ------------------------------------------------------------------------------

    async def connect(self) -> None:
        common = self.settings.common
        self.nc = await nats.connect(
            common.nats_url,
            name=f"afas-{self.service}-relay",
            **client_options(self.settings, self.service),
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,
            connect_timeout=common.nats_connect_timeout_seconds,
            ping_interval=common.nats_ping_interval_seconds,
            max_outstanding_pings=MAX_OUTSTANDING_PINGS,
            allow_reconnect=True,
        )
        self.js = self.nc.jetstream(publish_async_max_pending=4000)
        for producer in sorted(self._streams):
            config = stream_config(
                self.names,
                producer,
                replicas=common.bus_stream_replicas,
                duplicate_window=common.bus_duplicate_window_seconds,
                max_age_days=history_days(common, producer),
            )
            if producer == self.service or not self.settings.nats_password:
                await ensure_stream(self.js, config)
            else:
                # With a credential, only a stream's producer may create it: wait for it (retried by the runtime).
                await wait_for_stream(self.js, cast(str, config.name))  # stream_config always names it
        await self.broker.start()
        await self._confirm_subscriptions(common.nats_connect_timeout_seconds)
        self.started = True

    async def _confirm_subscriptions(self, timeout: float) -> None:
        """Raise unless the server holds every subscription of this process (its verbs and its consumers).

        A NATS subscription is a line written to the socket: ``broker.start()`` returns once they are written, not
        once the server has them. A connection that went dead after its handshake (seen under load after connect
        timeouts) took them nowhere, and the service said « up » and ready without answering a single request until
        the client's pings gave up minutes later. The server answers a PING after every line sent before it, so one
        flush proves the subscriptions are in place; failing here sends the runtime back to a fresh connection.
        """
        connection = await self.broker.connect()  # FastStream's connection, the one its subscribers use
        # Every NATS subscriber of FastStream's has ``subscription`` (its typing only knows the base class).
        idle = [
            sub
            for sub in self.broker.subscribers
            if sub.calls and (not sub.running or getattr(sub, "subscription", None) is None)
        ]
        if idle:
            raise ConnectionError(f"{len(idle)} subscription(s) not started on the broker connection")
        if not connection.is_connected:
            raise ConnectionError("the broker connection of the subscriptions is not connected")
        try:
            await connection.flush(timeout=max(1, round(timeout)))  # nats-py takes whole seconds
        except (NatsTimeoutError, builtins.TimeoutError):
            raise ConnectionError(
                f"the broker did not confirm this process's subscriptions within {timeout:.0f}s"
            ) from None

    async def close(self) -> None:
        self.started = False
        try:
            # Bounded: with the broker gone, FastStream may wait for it indefinitely.
            await asyncio.wait_for(self.broker.stop(), 5)
        except Exception:  # already closed, never started, or the broker is unreachable
            await self._drop_broker_connection()
        if self.nc is not None and not self.nc.is_closed:
            try:
                await asyncio.wait_for(self.nc.drain(), 5)
            except Exception:  # broker already gone: nothing left to flush
                await self.nc.close()
        self.nc = self.js = None

    async def _drop_broker_connection(self) -> None:
        """After a stop that failed or ran out of time, close FastStream's connection and forget it.

        FastStream forgets its connection only once a drain succeeds; otherwise its next ``start()`` reuses the
        same one (dead, draining or reconnecting) and subscribes on it again: a retried start-up must begin afresh.
        """
        connection = self.broker._connection  # FastStream keeps it here; no public way to discard it
        self.broker._connection = None
        self.broker.config.disconnect()
        if connection is not None and not connection.is_closed:
            with suppress(Exception):
                await asyncio.wait_for(connection.close(), 5)

    def connected(self) -> bool:
        if not (self.started and self.nc is not None and self.nc.is_connected):
            return False
        # The subscriptions' own connection too: the relay's may be up while the one that answers is not.
        subscriptions = self.broker._connection
        return subscriptions is not None and subscriptions.is_connected

    def jetstream(self) -> JetStreamContext | None:
        return self.js if self.connected() else None

    # --- request/reply ----------------------------------------------------------------------------

    @timed_request  # latency and errors per target service and verb
    async def request(
        self,
        service: str,
        verb: str,
        payload: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
        version: int = 1,
        credential: str | None = None,
    ) -> dict[str, Any]:
        if not self.connected():
            raise ServiceUnavailable(service, "bus not connected")
        timeout = timeout or timeout_for(self.settings, service, verb)
        headers = {context.CORRELATION_HEADER: context.current_correlation_id()}
        # The caller's credential, when acting for someone: the responder verifies it and believes nothing else.
        if token := credential or current_credential():
            headers[CREDENTIAL_HEADER] = token
        try:
            reply = await asyncio.wait_for(
                self.broker.request(
                    payload or {},
                    self.names.rpc(service, verb, version),
                    headers=headers,
                    timeout=timeout,
                ),
                timeout=timeout + 0.5,
            )
        except NoRespondersError:
            raise ServiceUnavailable(service, "no responder") from None
        except (TimeoutError, NatsTimeoutError):
            raise ServiceUnavailable(service, f"no answer within {timeout:.1f}s") from None
        body = decoded_reply(reply.body) if reply.body else {}
        if isinstance(body, dict) and "error" in body:
            raise RemoteError(service, body["error"], body.get("detail"), body.get("field"))
        return body
