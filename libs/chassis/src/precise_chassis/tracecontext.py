"""W3C trace context carried in the envelope, so one trace runs HTTP -> outbox -> bus -> handler -> ..."""

from __future__ import annotations

from opentelemetry import context, propagate
from opentelemetry.context import Context


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


def context_from(traceparent: str | None) -> Context:
    if traceparent is None:
        return context.get_current()
    return propagate.extract({"traceparent": traceparent})
