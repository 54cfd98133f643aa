"""Spans for telemetry tests: the process's TracerProvider with an in-memory exporter attached."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from precise_chassis.settings import PlatformSettings
from precise_chassis.telemetry.tracing import setup_tracing

_exporter = InMemorySpanExporter()


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """The spans ended during the test (the provider is process-wide; the exporter is emptied per test)."""
    setup_tracing(PlatformSettings(), "telemetry-tests", exporter=_exporter)
    _exporter.clear()
    yield _exporter
    _exporter.clear()
