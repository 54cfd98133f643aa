"""Telemetry every service gets from the chassis: traces (OpenTelemetry, exported to Azure Monitor or OTLP),
Prometheus metrics on `/metrics`, and JSON logs that carry the current trace id.

- `tracing`: the process's TracerProvider, HTTP/SQL/httpx instrumentation, and the bus spans that keep one
  trace from an HTTP request through the outbox and the bus to every handler;
- `metrics`: the platform's Prometheus metrics, the request-latency middleware and the scrape response;
- `logs`: structured logging to stdout, uvicorn's loggers included.
"""
