"""Traces: one OpenTelemetry TracerProvider per process, and the spans that keep one trace running
HTTP -> outbox -> bus -> handler -> outbox -> ... across services.

Export goes to Azure Monitor when APPLICATIONINSIGHTS_CONNECTION_STRING is set (the azure profile), to an
OTLP collector when OTEL_EXPORTER_OTLP_ENDPOINT is set, to both when both are, and to a test's exporter
when one is passed. Bus spans follow the OpenTelemetry messaging semantic conventions.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from weakref import WeakSet

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from opentelemetry.semconv._incubating.attributes import cloudevents_attributes as cloudevents
from opentelemetry.semconv._incubating.attributes import deployment_attributes as deployment
from opentelemetry.semconv._incubating.attributes import messaging_attributes as messaging
from opentelemetry.semconv._incubating.attributes import service_attributes as service
from opentelemetry.semconv.attributes import error_attributes, service_attributes
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue
from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from precise_chassis.bus.port import Delivery
from precise_chassis.settings import PlatformSettings
from precise_chassis.tracecontext import context_from
from precise_contracts.envelope import Envelope

APPINSIGHTS_CONNECTION = "APPLICATIONINSIGHTS_CONNECTION_STRING"
OTLP_ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT"
# Probes and scrapes every few seconds would drown the traces worth reading.
UNTRACED_PATHS = ("/healthz", "/readyz", "/metrics")

# The in-process bus adapter calls itself "memory"; the conventions name custom systems freely.
_SYSTEM_NAMES = {"memory": "in-process"}
# Only Service Bus has a conventional attribute for it; other systems get one in our own namespace.
_DELIVERY_COUNT = {"servicebus": messaging.MESSAGING_SERVICEBUS_MESSAGE_DELIVERY_COUNT}
_PRECISE_DELIVERY_COUNT = "precise.messaging.delivery_count"


@dataclass
class _Tracing:
    provider: TracerProvider | None = None
    exporters: list[SpanExporter] = field(default_factory=list)
    engines: WeakSet[Engine] = field(default_factory=WeakSet)


_state = _Tracing()


def setup_tracing(
    settings: PlatformSettings, service_name: str, *, exporter: SpanExporter | None = None
) -> TracerProvider:
    """Install the process's TracerProvider (once; later calls return it) and attach `exporter` to it.

    The global provider can be set only once per process, so a second call keeps the first call's
    resource and only adds an exporter it has not seen.
    """
    if _state.provider is None:
        _state.provider = _install_provider(_resource(settings, service_name))
    if exporter is not None and not any(seen is exporter for seen in _state.exporters):
        # synchronous export, so a test sees a span as soon as it ends
        _state.provider.add_span_processor(SimpleSpanProcessor(exporter))
        _state.exporters.append(exporter)
    return _state.provider


def _resource(settings: PlatformSettings, service_name: str) -> Resource:
    return Resource.create(
        {
            service_attributes.SERVICE_NAME: service_name,
            service.SERVICE_NAMESPACE: settings.service_namespace,
            deployment.DEPLOYMENT_ENVIRONMENT_NAME: settings.profile.value,
            # the pre-1.27 name, which Application Insights and many dashboards still key on
            deployment.DEPLOYMENT_ENVIRONMENT: settings.profile.value,
        }
    )


def _install_provider(resource: Resource) -> TracerProvider:
    if os.environ.get(APPINSIGHTS_CONNECTION):
        _configure_azure_monitor(resource)
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider(resource=resource)
        trace.set_tracer_provider(provider)
    # else: Azure Monitor's, or one `opentelemetry-instrument` installed before us; add to it
    if os.environ.get(OTLP_ENDPOINT):
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


def _configure_azure_monitor(resource: Resource) -> None:
    # Imported here: the distro is heavy and only the azure profile needs it.
    from azure.monitor.opentelemetry import configure_azure_monitor

    # The distro builds and installs its own TracerProvider (there is no way to hand it ours), plus
    # meter and logger providers and a LoggingHandler on the root logger; we customise it through its
    # arguments and add to its provider afterwards. Its FastAPI and httpx auto-instrumentation stay off:
    # patching FastAPI would replace FastAPI's native telemetry (see instrument_app) with the contrib
    # middleware, which names mounted services' spans after their mount ("GET /profiles"); httpx is
    # instrumented by instrument_httpx. Service Bus/Blob SDK tracing (azure_sdk) stays on.
    configure_azure_monitor(
        resource=resource,
        instrumentation_options={"fastapi": {"enabled": False}, "httpx": {"enabled": False}},
    )


@cache
def _tracer() -> trace.Tracer:
    # before a provider is installed this is a proxy, which turns into the provider's tracer once there is one
    return trace.get_tracer("precise_chassis.telemetry")


def instrument_app(app: FastAPI) -> None:
    """Trace the app's requests, except health probes and metric scrapes.

    FastAPI (since 0.142) traces requests itself once a TracerProvider is installed: one server span named
    after the full route template, mounted apps and include_router prefixes included, with spans for
    dependencies, the endpoint and serialisation beneath it. The contrib FastAPIInstrumentor would disable
    that in favour of its own middleware, which gives a mounted service's request a second server span
    named after the mount. What FastAPI lacks is a public way to set its `exclude` hook after the app is
    built, so this sets it in the app's telemetry config (the dict its telemetry reads per request).
    Requests excluded by the outer app are excluded for the apps mounted in it too.
    """
    app._telemetry["exclude"] = _untraced


def _untraced(scope: MutableMapping[str, Any]) -> bool:
    path = str(scope.get("path", ""))
    return path.endswith(UNTRACED_PATHS)


def instrument_httpx() -> None:
    """Trace outgoing httpx requests and send `traceparent` with them, so a called service continues
    the trace."""
    instrumentor = HTTPXClientInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument()


def instrument_engine(engine: AsyncEngine) -> None:
    """Trace the SQL an engine runs (a span per statement, under the request or handler span).

    The instrumentor is a singleton that ignores every instrument() call after the first
    (opentelemetry-python-contrib#3977), and a process hosts one engine per service, so each new engine
    re-instruments the whole set; listeners are removed first, so no statement is traced twice.
    """
    if engine.sync_engine in _state.engines:
        return
    _state.engines.add(engine.sync_engine)
    instrumentor = SQLAlchemyInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()
    # its dependency check stops at sqlalchemy < 2.1; the engine events it hooks work on 2.1 (tested)
    instrumentor.instrument(engines=list(_state.engines), skip_dep_check=True)


@contextmanager
def publish_spans(system: str, topic: str, envelopes: Sequence[Envelope]) -> Iterator[list[Span]]:
    """A PRODUCER span per envelope around handing them to the broker together, each parented on the span that
    wrote its event to the outbox (its traceparent): the relay publishes later, outside any request. An exception
    leaving the block is recorded on every span, each marked as an error.

    The spans are started, not made current: nothing runs per envelope inside the block, and a context entered
    and left per envelope (`start_as_current_span`) cost the relay twice as much, ~45 us an event with the SDK.
    """
    tracer = _tracer()
    name = f"publish {topic}"
    parents: dict[str | None, Context] = {}  # a batch's events mostly share the trace of what wrote them
    spans: list[Span] = []
    for envelope in envelopes:
        parent = parents.get(envelope.traceparent)
        if parent is None:
            parent = parents[envelope.traceparent] = context_from(envelope.traceparent)
        attributes = _message_attributes(system, topic, envelope) | _PUBLISHING
        spans.append(tracer.start_span(name, context=parent, kind=SpanKind.PRODUCER, attributes=attributes))
    try:
        yield spans
    except Exception as exc:
        status = Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}")
        for span in spans:
            span.record_exception(exc)
            span.set_status(status)
            span.set_attribute(error_attributes.ERROR_TYPE, _qualified_name(type(exc)))
        raise
    finally:
        for span in spans:
            span.end()


_PUBLISHING: dict[str, AttributeValue] = {
    messaging.MESSAGING_OPERATION_TYPE: messaging.MessagingOperationTypeValues.SEND.value,
    messaging.MESSAGING_OPERATION_NAME: "publish",
}


@contextmanager
def process_span(system: str, delivery: Delivery) -> Iterator[Span]:
    """A CONSUMER span around handling one delivery, parented on the envelope's traceparent.

    It is the current span inside the block, so events the handler publishes carry its context and the
    trace goes on. An exception leaving the block is recorded on the span, which is marked as an error.
    """
    envelope, subscription = delivery.envelope, delivery.subscription
    attributes = _message_attributes(system, subscription.topic, envelope) | {
        messaging.MESSAGING_OPERATION_TYPE: messaging.MessagingOperationTypeValues.PROCESS.value,
        messaging.MESSAGING_OPERATION_NAME: "process",
        messaging.MESSAGING_CONSUMER_GROUP_NAME: subscription.name,
        messaging.MESSAGING_DESTINATION_SUBSCRIPTION_NAME: subscription.name,
        _DELIVERY_COUNT.get(system, _PRECISE_DELIVERY_COUNT): delivery.delivery_count,
    }
    with _tracer().start_as_current_span(
        f"process {subscription.topic}",
        context=context_from(envelope.traceparent),
        kind=SpanKind.CONSUMER,
        attributes=attributes,
    ) as span:
        try:
            yield span
        except Exception as exc:
            # the SDK records the exception and the error status as it leaves the span
            span.set_attribute(error_attributes.ERROR_TYPE, _qualified_name(type(exc)))
            raise


def _qualified_name(cls: type) -> str:
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def _message_attributes(system: str, topic: str, envelope: Envelope) -> dict[str, AttributeValue]:
    attributes: dict[str, AttributeValue] = {
        messaging.MESSAGING_SYSTEM: _SYSTEM_NAMES.get(system, system),
        messaging.MESSAGING_DESTINATION_NAME: topic,
        messaging.MESSAGING_MESSAGE_ID: envelope.id,
        cloudevents.CLOUDEVENTS_EVENT_ID: envelope.id,
        cloudevents.CLOUDEVENTS_EVENT_TYPE: envelope.type,
        cloudevents.CLOUDEVENTS_EVENT_SOURCE: envelope.source,
    }
    if envelope.subject is not None:
        attributes[cloudevents.CLOUDEVENTS_EVENT_SUBJECT] = envelope.subject
    return attributes
