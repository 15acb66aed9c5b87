"""An event's handling continues the trace of the request that wrote it.

The unit of work stores the trace context in the outbox row's headers; the relay publishes them with the event.
FastStream's span for a fetched *batch* starts a new trace (only linked to its messages, as the messaging
conventions say for a batch), so the consumer opens one span per event it applies, a child of the context the
event carries, linked back to the batch's span: the trace reads HTTP → use case → outbox → this consumer.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from opentelemetry import propagate, trace
from opentelemetry.trace import Link, SpanKind, Tracer


@contextmanager
def event_span(
    tracer: Tracer | None, consumer: str, event_type: str, headers: Mapping[str, str] | None
) -> Iterator[None]:
    """While applying one event: a consumer span in the trace of the event's producer (its headers).
    No tracer (spans exported nowhere): nothing, not even the headers' parsing, on a consumer's hot path."""
    if tracer is None:
        yield
        return
    current = trace.get_current_span().get_span_context()
    parent = propagate.extract(dict(headers)) if headers else None
    links = [Link(current)] if current.is_valid else None
    with tracer.start_as_current_span(
        f"{consumer} process",
        context=parent,
        kind=SpanKind.CONSUMER,
        links=links,
        attributes={"messaging.system": "nats", "messaging.consumer.group.name": consumer, "afas.event": event_type},
    ):
        yield


@contextmanager
def batch_span(tracer: Tracer | None, consumer: str, headers: Sequence[Mapping[str, str] | None]) -> Iterator[None]:
    """While a set-based handler applies several events at once: one span linked to each event's trace."""
    if tracer is None:
        yield
        return
    links = []
    for carrier in headers:
        context = trace.get_current_span(propagate.extract(dict(carrier))).get_span_context() if carrier else None
        if context is not None and context.is_valid:
            links.append(Link(context))
    with tracer.start_as_current_span(
        f"{consumer} process batch",
        kind=SpanKind.CONSUMER,
        links=links,
        attributes={"messaging.system": "nats", "messaging.batch.message_count": len(headers)},
    ):
        yield
