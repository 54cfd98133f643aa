"""One trace from an HTTP request through the outbox and the bus to a handler, and what each span says."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import sqlalchemy.ext.asyncio
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from sqlalchemy import text

from precise_chassis import tracecontext
from precise_chassis.bus.port import Delivery
from precise_chassis.telemetry.tracing import (
    instrument_app,
    instrument_engine,
    instrument_httpx,
    process_span,
    publish_spans,
)
from precise_contracts.envelope import Envelope
from precise_contracts.registry import Subscription

EVENT_TYPE = "uk.police.precise.person.record-viewed.v1"
PERSON_TOPIC = "person"
RISK_SUBSCRIPTION = Subscription(topic=PERSON_TOPIC, service="risk-summary", event_types=frozenset({EVENT_TYPE}))
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def envelope(traceparent: str | None) -> Envelope:
    return Envelope(
        id=str(uuid.uuid4()),
        source="/precise/person-profile",
        type=EVENT_TYPE,
        subject="PER-000123",
        time=datetime.now(UTC),
        traceparent=traceparent,
        data={"person_id": "PER-000123"},
    )


def named(spans: InMemorySpanExporter, name: str) -> ReadableSpan:
    (span,) = [s for s in spans.get_finished_spans() if s.name == name]
    return span


def parent_id(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


# --- HTTP ---------------------------------------------------------------------------------------------


def platform_app() -> FastAPI:
    """The chassis app's shape: a service's API mounted under its prefix, health and metrics at the root."""
    service = FastAPI()

    @service.get("/persons/{person_id}")
    async def person(person_id: str) -> dict[str, str]:
        return {"person_id": person_id}

    @service.get("/healthz")
    async def service_health() -> dict[str, str]:
        return {"status": "ok"}

    root = FastAPI()

    @root.get("/metrics")
    async def metrics() -> str:
        return ""

    root.mount("/profiles", service)
    instrument_app(root)
    return root


async def test_a_request_to_a_mounted_service_is_one_server_span_named_by_its_route(
    spans: InMemorySpanExporter,
) -> None:
    transport = httpx.ASGITransport(app=platform_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://precise.test") as client:
        response = await client.get("/profiles/persons/PER-000123", headers={"traceparent": TRACEPARENT})
    assert response.status_code == 200

    (server,) = [s for s in spans.get_finished_spans() if s.kind is SpanKind.SERVER]
    assert server.name == "GET /profiles/persons/{person_id}"
    assert server.attributes is not None
    assert server.attributes["http.route"] == "/profiles/persons/{person_id}"
    assert server.attributes["http.response.status_code"] == 200
    # the caller's trace goes on into the service
    assert server.context.trace_id == int(TRACEPARENT.split("-")[1], 16)
    assert parent_id(server) == int(TRACEPARENT.split("-")[2], 16)


async def test_probes_and_scrapes_are_not_traced(spans: InMemorySpanExporter) -> None:
    transport = httpx.ASGITransport(app=platform_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://precise.test") as client:
        for path in ("/metrics", "/profiles/healthz"):
            assert (await client.get(path)).status_code == 200
        assert (await client.get("/profiles/persons/PER-1")).status_code == 200

    servers = [s.name for s in spans.get_finished_spans() if s.kind is SpanKind.SERVER]
    assert servers == ["GET /profiles/persons/{person_id}"]


async def test_outgoing_httpx_requests_are_traced_and_carry_the_trace(spans: InMemorySpanExporter) -> None:
    received: list[bytes] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    instrument_httpx()
    instrument_httpx()  # a second call must not add a second client span
    try:
        with trace.get_tracer("test").start_as_current_span("handler") as handler:
            async with httpx.AsyncClient() as client:
                assert (await client.get(f"http://127.0.0.1:{port}/pnc/PER-1")).status_code == 200
    finally:
        server.close()
        await server.wait_closed()

    (client_span,) = [s for s in spans.get_finished_spans() if s.kind is SpanKind.CLIENT]
    assert parent_id(client_span) == handler.get_span_context().span_id
    headers = received[0].decode().lower()
    trace_id = trace.format_trace_id(handler.get_span_context().trace_id)
    assert f"traceparent: 00-{trace_id}-" in headers


# --- SQL ----------------------------------------------------------------------------------------------


async def test_each_engine_is_traced_once_however_often_it_is_instrumented(
    spans: InMemorySpanExporter, tmp_path: Path
) -> None:
    first = sqlalchemy.ext.asyncio.create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'first.sqlite'}")
    instrument_engine(first)
    # created after instrumenting began, as a second hosted service's engine would be
    second = sqlalchemy.ext.asyncio.create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'second.sqlite'}")
    instrument_engine(second)
    instrument_engine(first)
    try:
        with trace.get_tracer("test").start_as_current_span("request") as request:
            for engine in (first, second):
                async with engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
    finally:
        await first.dispose()
        await second.dispose()

    statements = [s for s in spans.get_finished_spans() if s.attributes and "db.statement" in s.attributes]
    databases = sorted(Path(str(s.attributes["db.name"])).name for s in statements if s.attributes)
    assert databases == ["first.sqlite", "second.sqlite"]
    assert {parent_id(s) for s in statements} == {request.get_span_context().span_id}


# --- the bus ------------------------------------------------------------------------------------------


def test_one_trace_runs_from_the_request_through_publish_and_process_to_the_next_event(
    spans: InMemorySpanExporter,
) -> None:
    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("GET /profiles/persons/{person_id}") as request:
        written = envelope(tracecontext.current_traceparent())  # the outbox row, in the request's transaction

    # the relay publishes later, outside any request; the broker carries the envelope's bytes
    with publish_spans("rabbitmq", PERSON_TOPIC, [written]):
        pass
    delivered = Envelope.from_bytes(written.to_bytes())
    with process_span("rabbitmq", Delivery(delivered, RISK_SUBSCRIPTION, delivery_count=1)) as processing:
        next_event = envelope(tracecontext.current_traceparent())  # what the handler writes to its outbox

    publish, process = named(spans, "publish person"), named(spans, "process person")
    trace_id = request.get_span_context().trace_id
    assert {publish.context.trace_id, process.context.trace_id} == {trace_id}
    assert parent_id(publish) == request.get_span_context().span_id
    assert parent_id(process) == request.get_span_context().span_id
    assert (publish.kind, process.kind) == (SpanKind.PRODUCER, SpanKind.CONSUMER)
    # events the handler publishes continue the trace from the process span
    assert next_event.traceparent is not None
    _, next_trace, next_parent, _ = next_event.traceparent.split("-")
    assert int(next_trace, 16) == trace_id
    assert int(next_parent, 16) == processing.get_span_context().span_id


def test_bus_spans_follow_the_messaging_conventions(spans: InMemorySpanExporter) -> None:
    event = envelope(TRACEPARENT)
    with publish_spans("memory", PERSON_TOPIC, [event]):
        pass
    with process_span("servicebus", Delivery(event, RISK_SUBSCRIPTION, delivery_count=3)):
        pass

    publish = named(spans, "publish person").attributes
    assert publish is not None
    assert publish["messaging.system"] == "in-process"
    assert publish["messaging.operation.type"] == "send"
    assert publish["messaging.destination.name"] == PERSON_TOPIC
    assert publish["messaging.message.id"] == event.id
    assert publish["cloudevents.event_id"] == event.id
    assert publish["cloudevents.event_type"] == EVENT_TYPE
    assert publish["cloudevents.event_subject"] == "PER-000123"

    process = named(spans, "process person").attributes
    assert process is not None
    assert process["messaging.system"] == "servicebus"
    assert process["messaging.operation.type"] == "process"
    assert process["messaging.consumer.group.name"] == "risk-summary"
    assert process["messaging.destination.subscription.name"] == "risk-summary"
    assert process["messaging.servicebus.message.delivery_count"] == 3


class PncUnavailable(Exception):
    pass


def test_a_handler_that_raises_leaves_an_error_span_with_the_exception(spans: InMemorySpanExporter) -> None:
    delivery = Delivery(envelope(TRACEPARENT), RISK_SUBSCRIPTION, delivery_count=2)
    with pytest.raises(PncUnavailable), process_span("rabbitmq", delivery):
        raise PncUnavailable("PNC did not answer")

    process = named(spans, "process person")
    assert process.status.status_code is StatusCode.ERROR
    assert process.attributes is not None
    assert process.attributes["error.type"] == f"{PncUnavailable.__module__}.PncUnavailable"
    assert process.attributes["precise.messaging.delivery_count"] == 2
    (exception,) = [e for e in process.events if e.name == "exception"]
    assert exception.attributes is not None
    assert exception.attributes["exception.message"] == "PNC did not answer"


def test_events_published_together_each_get_a_span_in_the_trace_that_wrote_them(spans: InMemorySpanExporter) -> None:
    other = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    events = [envelope(TRACEPARENT), envelope(other), envelope(TRACEPARENT)]
    with publish_spans("rabbitmq", PERSON_TOPIC, events):
        pass

    published = {s.attributes["messaging.message.id"]: s for s in spans.get_finished_spans() if s.attributes}
    assert [published[e.id].context.trace_id for e in events] == [
        int(p.split("-")[1], 16) for p in (TRACEPARENT, other, TRACEPARENT)
    ]
    assert [parent_id(published[e.id]) for e in events] == [
        int(p.split("-")[2], 16) for p in (TRACEPARENT, other, TRACEPARENT)
    ]
    assert len({published[e.id].context.span_id for e in events}) == 3


def test_a_publish_that_fails_marks_every_span_of_it_an_error(spans: InMemorySpanExporter) -> None:
    events = [envelope(TRACEPARENT), envelope(TRACEPARENT)]
    with pytest.raises(ConnectionError), publish_spans("rabbitmq", PERSON_TOPIC, events):
        raise ConnectionError("broker went away")

    for span in spans.get_finished_spans():
        assert span.status.status_code is StatusCode.ERROR
        assert span.attributes is not None
        assert span.attributes["error.type"] == "ConnectionError"
        assert [e.attributes["exception.message"] for e in span.events if e.attributes] == ["broker went away"]
    assert len(spans.get_finished_spans()) == 2


# --- export (in a fresh process: the global provider can be set once per process) ----------------------


class Collector(BaseHTTPRequestHandler):
    """A stand-in for an OTLP collector or Application Insights' ingestion endpoint: takes every POST."""

    received: list[tuple[str, bytes]]

    def do_POST(self) -> None:
        self.received.append((self.path, self.rfile.read(int(self.headers.get("Content-Length", 0)))))
        body = b'{"itemsReceived": 1, "itemsAccepted": 1, "errors": []}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass


@pytest.fixture
def collector() -> Iterator[tuple[str, list[tuple[str, bytes]]]]:
    received: list[tuple[str, bytes]] = []
    handler = type("RecordingCollector", (Collector,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


EXPORTING_PROCESS = """
import json, fastapi
from opentelemetry import trace
from precise_chassis.settings import PlatformSettings, Profile
from precise_chassis.telemetry.tracing import setup_tracing

settings = PlatformSettings(profile=Profile.LOCAL)
provider = setup_tracing(settings, "person-profile")
assert setup_tracing(settings, "risk-summary") is provider is trace.get_tracer_provider()
with trace.get_tracer("check").start_as_current_span("exported-span"):
    pass
provider.force_flush()
print(json.dumps({"resource": dict(provider.resource.attributes), "fastapi": fastapi.FastAPI.__name__}))
"""


def test_spans_reach_application_insights_and_an_otlp_collector_when_both_are_configured(
    collector: tuple[str, list[tuple[str, bytes]]], tmp_path: Path
) -> None:
    url, received = collector
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "APPLICATIONINSIGHTS_"))}
    env = inherited | {
        "APPLICATIONINSIGHTS_CONNECTION_STRING": (
            f"InstrumentationKey={uuid.uuid4()};IngestionEndpoint={url}/;LiveEndpoint={url}/"
        ),
        # the SDK's own usage reports and remote configuration would leave this machine
        "APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL": "true",
        "APPLICATIONINSIGHTS_SDKSTATS_DISABLED": "true",
        "APPLICATIONINSIGHTS_CONTROLPLANE_DISABLED": "true",
        # and the distro's Azure VM detector would ask the metadata service at 169.254.169.254
        "OTEL_EXPERIMENTAL_RESOURCE_DETECTORS": "otel",
        "OTEL_EXPORTER_OTLP_ENDPOINT": url,
        # the distro samples at most 5 traces a second, from a budget that starts near zero
        "OTEL_TRACES_SAMPLER": "always_on",
        "TMPDIR": str(tmp_path),  # where the exporter would keep telemetry it failed to send
    }
    result = subprocess.run(
        [sys.executable, "-c", EXPORTING_PROCESS],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    reported = json.loads(result.stdout.strip().splitlines()[-1])

    assert reported["resource"] == reported["resource"] | {
        "service.name": "person-profile",
        "service.namespace": "precise",
        "deployment.environment.name": "local",
        "deployment.environment": "local",
    }
    # the distro's FastAPI patch stays off: FastAPI's own telemetry names mounted routes correctly
    assert reported["fastapi"] == "FastAPI"
    otlp = [body for path, body in received if path == "/v1/traces"]
    assert len(otlp) == 1
    assert b"exported-span" in otlp[0]
    assert b"person-profile" in otlp[0]
    app_insights = [body for path, body in received if path.endswith("/track")]
    assert any(b"exported-span" in body for body in app_insights), [path for path, _ in received]
