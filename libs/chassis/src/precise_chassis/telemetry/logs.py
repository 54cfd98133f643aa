"""Logging to stdout: one JSON object a line (settings.log_json), or readable lines for a developer.

Every line names the service and, inside a span, its trace and span ids, so a log line leads to its trace
and back. uvicorn's loggers go through the same handler. Handlers others put on the root logger (Azure
Monitor's, pytest's) are left in place.
"""

from __future__ import annotations

import logging
import sys

from opentelemetry import trace
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from precise_chassis.settings import PlatformSettings

UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
_HANDLER_NAME = "precise"
_LINE_FORMAT = "%(asctime)s %(levelname)-7s %(service)s %(name)s [trace %(trace_id)s] %(message)s"


class SpanContextFilter(logging.Filter):
    """Stamps a record with the trace and span ids of the span current where it was logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            record.trace_id = trace.format_trace_id(context.trace_id)
            record.span_id = trace.format_span_id(context.span_id)
        return True


def setup_logging(settings: PlatformSettings, service_name: str) -> None:
    """Send the process's logs to stdout at settings.log_level. Calling it again replaces, not adds."""
    handler = logging.StreamHandler(sys.stdout)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(SpanContextFilter())
    handler.setFormatter(_json_formatter(service_name) if settings.log_json else _line_formatter(service_name))

    root = logging.getLogger()
    for previous in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(previous)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())

    # uvicorn installs its own handlers unless started with log_config=None; route its records to ours
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
    # the Azure SDK logs every HTTP request and response at INFO; a blob poll would bury everything else
    logging.getLogger("azure.core.pipeline.policies.http_logging_policy").setLevel(logging.WARNING)


def _json_formatter(service_name: str) -> logging.Formatter:
    # trace_id and span_id, when the filter set them, are picked up as record extras like any other
    return JsonFormatter(
        ["levelname", "name", "message"],
        rename_fields={"levelname": "level", "name": "logger", "exc_info": "exception"},
        static_fields={"service": service_name},
        timestamp=True,
        # uvicorn adds an ANSI-coloured copy of each message for terminals; a JSON line has no use for it
        reserved_attrs=[*RESERVED_ATTRS, "color_message"],
    )


def _line_formatter(service_name: str) -> logging.Formatter:
    return logging.Formatter(_LINE_FORMAT, defaults={"service": service_name, "trace_id": "-"})
