"""What lands on stdout: one JSON object a line naming the service and, inside a span, its trace."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from precise_chassis.settings import PlatformSettings
from precise_chassis.telemetry.logs import UVICORN_LOGGERS, setup_logging

SERVICE = "evidence-vault"
log = logging.getLogger("precise.evidence")


@pytest.fixture(autouse=True)
def restored_logging() -> Iterator[None]:
    """setup_logging changes process-wide state; put it back for the tests that follow."""
    root = logging.getLogger()
    saved_root = (list(root.handlers), root.level)
    uvicorn = [logging.getLogger(name) for name in UVICORN_LOGGERS]
    saved = [(logger, list(logger.handlers), logger.propagate, logger.level) for logger in uvicorn]
    yield
    root.handlers[:], root.level = saved_root
    for logger, handlers, propagate, level in saved:
        logger.handlers[:], logger.propagate, logger.level = handlers, propagate, level


def json_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def test_a_record_logged_inside_a_span_carries_that_spans_trace(
    capsys: pytest.CaptureFixture[str], spans: InMemorySpanExporter
) -> None:
    setup_logging(PlatformSettings(log_json=True), SERVICE)
    with trace.get_tracer("test").start_as_current_span("store exhibit") as span:
        log.info("exhibit %s stored", "EXH-0001")

    (line,) = json_lines(capsys.readouterr().out)
    context = span.get_span_context()
    assert line["trace_id"] == trace.format_trace_id(context.trace_id)
    assert line["span_id"] == trace.format_span_id(context.span_id)
    assert line["message"] == "exhibit EXH-0001 stored"
    assert (line["level"], line["logger"], line["service"]) == ("INFO", "precise.evidence", SERVICE)
    logged_at = datetime.fromisoformat(line["timestamp"])
    assert abs(datetime.now(UTC) - logged_at) < timedelta(minutes=1)


def test_a_record_outside_any_span_has_no_trace_and_keeps_its_exception(
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup_logging(PlatformSettings(log_json=True), SERVICE)
    try:
        raise ValueError("hash mismatch on EXH-0002")
    except ValueError:
        log.exception("custody check failed")

    (line,) = json_lines(capsys.readouterr().out)
    assert "trace_id" not in line
    assert line["level"] == "ERROR"
    assert "ValueError: hash mismatch on EXH-0002" in line["exception"]


def test_setting_up_twice_still_writes_each_record_once_at_the_configured_level(
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup_logging(PlatformSettings(log_json=True), SERVICE)
    setup_logging(PlatformSettings(log_json=True, log_level="warning"), SERVICE)
    log.info("not at warning level")
    log.warning("retention review overdue")

    assert [line["message"] for line in json_lines(capsys.readouterr().out)] == ["retention review overdue"]


def test_uvicorn_records_go_through_the_platform_handler(capsys: pytest.CaptureFixture[str]) -> None:
    access = logging.getLogger("uvicorn.access")
    own = logging.StreamHandler()  # what uvicorn's default log config installs
    access.addHandler(own)
    access.propagate = False

    setup_logging(PlatformSettings(log_json=True), SERVICE)
    access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/evidence/items", "1.1", 200)

    (line,) = json_lines(capsys.readouterr().out)
    assert line["logger"] == "uvicorn.access"
    assert line["message"] == '127.0.0.1:5000 - "GET /evidence/items HTTP/1.1" 200'
    assert own not in access.handlers


def test_without_json_lines_are_readable_and_still_name_the_trace(
    capsys: pytest.CaptureFixture[str], spans: InMemorySpanExporter
) -> None:
    setup_logging(PlatformSettings(log_json=False), SERVICE)
    with trace.get_tracer("test").start_as_current_span("redact") as span:
        log.info("redaction queued")
    log.info("idle")

    inside, outside = capsys.readouterr().out.splitlines()
    trace_id = trace.format_trace_id(span.get_span_context().trace_id)
    assert f"INFO    {SERVICE} precise.evidence [trace {trace_id}] redaction queued" in inside
    assert f"{SERVICE} precise.evidence [trace -] idle" in outside
    assert not inside.startswith("{")
