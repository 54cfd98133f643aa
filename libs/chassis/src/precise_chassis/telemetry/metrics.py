"""The platform's Prometheus metrics, the middleware that times HTTP requests, and the /metrics response.

The metrics live on a registry the platform owns, not prometheus_client's global one, so two platforms in
one process (tests) never share or collide on a series.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.responses import Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Requests no route matched share one label value, so probing random paths cannot mint new series.
UNMATCHED_ROUTE = "<unmatched>"


class OutboxBacklog(Protocol):
    """What the outbox relay reports about its unpublished rows."""

    @property
    def pending(self) -> int: ...

    def lag_seconds(self, now: datetime) -> float: ...


class PlatformMetrics:
    """The metrics every Precise process exposes on /metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.http_request_duration = Histogram(
            "precise_http_request_duration_seconds",
            "HTTP request latency by service, method, route template and status code.",
            ["service", "method", "route", "status"],
            registry=self.registry,
        )
        self.handler_duration = Histogram(
            "precise_handler_duration_seconds",
            "Event handler latency by subscription, event type and outcome "
            "(completed, abandoned, dead-lettered, duplicate).",
            ["subscription", "event_type", "outcome"],
            registry=self.registry,
        )
        self.outbox_pending = Gauge(
            "precise_outbox_pending", "Outbox rows not yet published.", ["service"], registry=self.registry
        )
        self.outbox_lag = Gauge(
            "precise_outbox_lag_seconds",
            "Age of the oldest unpublished outbox row (0 when none is waiting).",
            ["service"],
            registry=self.registry,
        )
        self.outbox_published = Counter(
            "precise_outbox_published",
            "Outbox rows published to the bus.",
            ["service"],
            registry=self.registry,
        )
        self.dead_letters = Counter(
            "precise_dead_letters",
            "Messages dead-lettered, by subscription and reason.",
            ["subscription", "reason"],
            registry=self.registry,
        )
        self.audit_records = Counter(
            "precise_audit_records",
            "Audit records written for reads of personal data, by service and outcome.",
            ["service", "outcome"],
            registry=self.registry,
        )

    def observe_outbox(self, service: str, backlog: OutboxBacklog, *, now: datetime | None = None) -> None:
        """Set the outbox gauges of `service` from what its relay reports."""
        self.outbox_pending.labels(service).set(backlog.pending)
        self.outbox_lag.labels(service).set(backlog.lag_seconds(now or datetime.now(UTC)))


def metrics_endpoint(metrics: PlatformMetrics) -> Response:
    """The /metrics scrape in Prometheus text format (a Starlette Response is itself an ASGI app)."""
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)


class RequestMetricsMiddleware:
    """Times each HTTP request of one service's app into precise_http_request_duration_seconds.

    The route label is the matched route's template (/persons/{person_id}), relative to where the app is
    mounted, never the raw path, so the number of series stays bounded.
    """

    def __init__(self, app: ASGIApp, metrics: PlatformMetrics, service: str) -> None:
        self.app = app
        self.metrics = metrics
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        mounted_at = scope.get("root_path", "")
        status = 500  # what the client gets if the app raises before it responds

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            self.metrics.http_request_duration.labels(
                self.service, scope["method"], route_template(scope, mounted_at), str(status)
            ).observe(time.perf_counter() - started)


def route_template(scope: Scope, mounted_at: str = "") -> str:
    """The template of the route that handled a request, read from its scope after the app ran.

    Routing records its choice in the scope: the route, and the root path grown by every mount crossed
    below `mounted_at`. FastAPI (since 0.137) no longer copies included routes, so `scope["route"]` lacks
    include_router prefixes; the prefixed template is on its effective route context (Sentry and
    Apitally read it there too).
    """
    fastapi_scope = scope.get("fastapi")
    route = (fastapi_scope.get("effective_route_context") if isinstance(fastapi_scope, dict) else None) or scope.get(
        "route"
    )
    if route is None:
        return UNMATCHED_ROUTE
    mounts = str(scope.get("root_path", ""))[len(mounted_at) :]
    # a mount's own path is already in the root path; what lies below it is not ours to template
    path = "" if isinstance(route, Mount) else str(getattr(route, "path_format", ""))
    return mounts + path or "/"
