"""What an operator scraping /metrics sees: request latency by route template, outbox backlog, the names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from precise_chassis.telemetry.metrics import (
    UNMATCHED_ROUTE,
    PlatformMetrics,
    RequestMetricsMiddleware,
    metrics_endpoint,
)

SERVICE = "person-profile"


@pytest.fixture
def metrics() -> PlatformMetrics:
    return PlatformMetrics()


def platform_app(metrics: PlatformMetrics) -> FastAPI:
    """The chassis app's shape: a service mounted under its prefix, its router included with a prefix."""
    persons = APIRouter()

    @persons.get("/{person_id}")
    async def person(person_id: str) -> dict[str, str]:
        return {"person_id": person_id}

    @persons.get("/{person_id}/warning-markers")
    async def markers(person_id: str) -> list[str]:
        raise RuntimeError("PNC link down")

    service = FastAPI()
    service.add_middleware(RequestMetricsMiddleware, metrics=metrics, service=SERVICE)
    service.include_router(persons, prefix="/persons")

    root = FastAPI()

    async def scrape(_request: Request) -> Response:
        return metrics_endpoint(metrics)

    root.add_route("/metrics", scrape)
    root.mount("/profiles", service)
    return root


def requests(metrics: PlatformMetrics, method: str, route: str, status: int) -> float | None:
    labels = {"service": SERVICE, "method": method, "route": route, "status": str(status)}
    return metrics.registry.get_sample_value("precise_http_request_duration_seconds_count", labels)


async def test_request_latency_is_labelled_with_the_route_template_not_the_path(
    metrics: PlatformMetrics,
) -> None:
    transport = httpx.ASGITransport(app=platform_app(metrics), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://precise.test") as client:
        for person_id in ("PER-000001", "PER-000002", "PER-000003"):
            assert (await client.get(f"/profiles/persons/{person_id}")).status_code == 200
        assert (await client.get("/profiles/persons/PER-000001/warning-markers")).status_code == 500
        assert (await client.get("/profiles/no-such-thing/42")).status_code == 404

    assert requests(metrics, "GET", "/persons/{person_id}", 200) == 3
    assert requests(metrics, "GET", "/persons/{person_id}/warning-markers", 500) == 1
    assert requests(metrics, "GET", UNMATCHED_ROUTE, 404) == 1
    routes = {
        sample.labels["route"]
        for family in metrics.registry.collect()
        if family.name == "precise_http_request_duration_seconds"
        for sample in family.samples
    }
    assert routes == {"/persons/{person_id}", "/persons/{person_id}/warning-markers", UNMATCHED_ROUTE}


async def test_metrics_endpoint_serves_every_platform_metric_in_prometheus_text(
    metrics: PlatformMetrics,
) -> None:
    transport = httpx.ASGITransport(app=platform_app(metrics))
    async with httpx.AsyncClient(transport=transport, base_url="http://precise.test") as client:
        await client.get("/profiles/persons/PER-000001")
        response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPE_LATEST
    for name in (
        "precise_http_request_duration_seconds",
        "precise_handler_duration_seconds",
        "precise_outbox_pending",
        "precise_outbox_lag_seconds",
        "precise_outbox_published_total",
        "precise_dead_letters_total",
        "precise_audit_records_total",
    ):
        assert f"# TYPE {name} " in response.text
    assert (
        'precise_http_request_duration_seconds_count{method="GET",route="/persons/{person_id}",'
        f'service="{SERVICE}",status="200"}} 1.0'
    ) in response.text


@dataclass(frozen=True)
class Backlog:
    pending: int
    oldest_pending_at: datetime | None

    def lag_seconds(self, now: datetime) -> float:
        return 0.0 if self.oldest_pending_at is None else (now - self.oldest_pending_at).total_seconds()


def test_outbox_gauges_show_the_backlog_and_the_age_of_its_oldest_row(metrics: PlatformMetrics) -> None:
    now = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    metrics.observe_outbox(SERVICE, Backlog(pending=4, oldest_pending_at=now - timedelta(seconds=90)), now=now)
    assert metrics.registry.get_sample_value("precise_outbox_pending", {"service": SERVICE}) == 4
    assert metrics.registry.get_sample_value("precise_outbox_lag_seconds", {"service": SERVICE}) == 90

    metrics.observe_outbox(SERVICE, Backlog(pending=0, oldest_pending_at=None), now=now)
    assert metrics.registry.get_sample_value("precise_outbox_pending", {"service": SERVICE}) == 0
    assert metrics.registry.get_sample_value("precise_outbox_lag_seconds", {"service": SERVICE}) == 0


def test_two_platforms_in_one_process_keep_their_own_series() -> None:
    first, second = PlatformMetrics(), PlatformMetrics()
    first.dead_letters.labels("person.risk-summary", "MaxDeliveryCountExceeded").inc()

    labels = {"subscription": "person.risk-summary", "reason": "MaxDeliveryCountExceeded"}
    assert first.registry.get_sample_value("precise_dead_letters_total", labels) == 1
    assert second.registry.get_sample_value("precise_dead_letters_total", labels) is None
