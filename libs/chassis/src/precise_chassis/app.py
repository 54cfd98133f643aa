"""The ASGI app: every hosted service's API mounted under its prefix on one port, plus /healthz and
/metrics at the root. The same URLs hold in every profile (AKS ingress routes the same prefixes)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Annotated

from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import Counter

from precise_chassis.auth.audit import MAX_PAGE, AuditEntry, AuditSink, DatabaseAuditSink, audit_records
from precise_chassis.auth.dependencies import Access, install_auth_problems, personal_data
from precise_chassis.auth.roles import Permission
from precise_chassis.auth.tokens import TokenVerifier
from precise_chassis.runtime import Platform, ServiceRuntime
from precise_chassis.telemetry.metrics import RequestMetricsMiddleware, metrics_endpoint
from precise_chassis.telemetry.tracing import instrument_app, instrument_engine

OPEN_PATHS = ("/healthz", "/readyz", "/metrics")


def create_app(platform: Platform) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await platform.start()
        try:
            yield
        finally:
            await platform.stop()

    root = FastAPI(title="Precise", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    verifier = TokenVerifier.for_settings(platform.settings)

    @root.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, object]:
        return {"status": "ok", "services": {r.name: r.service.prefix for r in platform.runtimes}}

    async def metrics(_request: Request) -> Response:
        for runtime in platform.runtimes:
            status = await runtime.relay.status()
            platform.metrics.observe_outbox(runtime.name, status)
        return metrics_endpoint(platform.metrics)

    root.add_route("/metrics", metrics, include_in_schema=False)
    for runtime in platform.runtimes:
        root.mount(runtime.service.prefix, service_app(runtime, platform, verifier))
    instrument_app(root)
    for runtime in platform.runtimes:
        instrument_engine(runtime.db.engine)
    return root


class CountedAuditSink:
    """Counts audit records by outcome for /metrics (a spike of `denied` is worth an alert)."""

    def __init__(self, sink: AuditSink, counter: Callable[[str, str], Counter], service: str) -> None:
        self._sink = sink
        self._counter = counter
        self._service = service

    async def record(self, entry: AuditEntry) -> None:
        await self._sink.record(entry)
        self._counter(self._service, entry.outcome).inc()


def service_app(runtime: ServiceRuntime, platform: Platform, verifier: TokenVerifier) -> FastAPI:
    service = runtime.service
    app = FastAPI(title=f"Precise {service.title}", version="0.1.0")
    app.state.precise = runtime
    app.state.precise_auth = verifier
    app.state.precise_audit = CountedAuditSink(
        DatabaseAuditSink(runtime.db, service=service.name, registry=runtime.registry, on_commit=runtime.relay.wake),
        platform.metrics.audit_records.labels,
        service.name,
    )
    app.add_middleware(RequestMetricsMiddleware, metrics=platform.metrics, service=service.name)
    install_auth_problems(app)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok", "service": service.name}

    @app.get("/readyz", tags=["operations"])
    async def readyz() -> JSONResponse:
        """Readiness: the database, the bus and (where used) the blob store answer."""
        checks = await runtime.readiness()
        ready = all(state == "ok" for state in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "service": service.name, "checks": checks},
            status_code=200 if ready else 503,
        )

    @app.get("/audit-log", tags=["operations"])
    async def audit_log(
        _access: Annotated[Access, Depends(personal_data(Permission.AUDIT_READ))],
        actor: Annotated[str | None, Query(description="only this caller's reads")] = None,
        subject: Annotated[str | None, Query(description="only reads about this person or item")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    ) -> list[dict[str, object]]:
        """This service's audit records, newest first (auditors only; the read is itself audited)."""
        entries = await audit_records(runtime.db, actor=actor, subject_ref=subject, limit=limit)
        return [asdict(entry) for entry in entries]

    app.include_router(service.router)
    return app
