"""The platform in one process (embedded profile): services mounted under their prefixes, every route
guarded, request -> event -> handler -> event -> read, metrics, the audit log, and one trace throughout."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from precise_chassis.app import create_app
from precise_chassis.auth.dev_issuer import issue_dev_token
from precise_chassis.auth.roles import Role
from precise_chassis.runtime import Platform
from precise_chassis.service import discover
from precise_chassis.settings import PlatformSettings, Profile
from precise_chassis.telemetry.tracing import setup_tracing
from precise_contracts.registry import installed_registry

PURPOSE = {"Precise-Purpose": "INC-20261122-0042; checking the probe came back"}
OPEN = {"/healthz", "/readyz"}


@pytest.fixture
def settings(tmp_path: Path) -> PlatformSettings:
    return PlatformSettings(profile=Profile.EMBEDDED, data_dir=tmp_path, outbox_poll_seconds=0.05)


@pytest.fixture
async def app(settings: PlatformSettings) -> AsyncIterator[FastAPI]:
    services = discover(include_test_services=True)
    platform = Platform(settings, [services["probe-desk"], services["probe-echo"]], installed_registry())
    application = create_app(platform)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://precise") as client:
        yield client


def bearer(settings: PlatformSettings, role: Role, sub: str = "PC1234") -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_dev_token(settings, roles=[role], sub=sub)}"}


async def wait_for_echo(client: httpx.AsyncClient, probe_id: str, headers: dict[str, str]) -> dict[str, object]:
    for _ in range(200):
        answer = await client.get(f"/probe-desk/probes/{probe_id}", headers=headers)
        assert answer.status_code == 200, answer.text
        if answer.json()["status"] == "echoed":
            return dict(answer.json())
        await asyncio.sleep(0.02)
    raise AssertionError("the probe was never echoed")


async def test_the_root_and_each_service_answer_health_readiness_and_docs(client: httpx.AsyncClient) -> None:
    health = await client.get("/healthz")
    assert health.json()["services"] == {"probe-desk": "/probe-desk", "probe-echo": "/probe-echo"}
    for prefix in ("/probe-desk", "/probe-echo"):
        assert (await client.get(f"{prefix}/healthz")).status_code == 200
        ready = await client.get(f"{prefix}/readyz")
        assert ready.status_code == 200, ready.text
        assert set(ready.json()["checks"].values()) == {"ok"}
        openapi = (await client.get(f"{prefix}/openapi.json")).json()
        assert openapi["info"]["title"].startswith("Precise Probe")
        docs = await client.get(f"{prefix}/docs")
        assert f"{prefix}/openapi.json" in docs.text
    assert "probe-desk" in (await client.get("/probe-desk/readyz")).json()["service"]
    assert "blob_store" in (await client.get("/probe-desk/readyz")).json()["checks"]


async def test_every_route_but_health_and_readiness_refuses_a_caller_without_a_token(
    client: httpx.AsyncClient,
) -> None:
    checked = 0
    for prefix in ("/probe-desk", "/probe-echo"):
        paths = (await client.get(f"{prefix}/openapi.json")).json()["paths"]
        for path, operations in paths.items():
            if path in OPEN:
                continue
            for method in operations:
                url = prefix + path.replace("{probe_id}", "p1")
                answer = await client.request(method.upper(), url, json={})
                assert answer.status_code == 401, f"{method.upper()} {url} answered {answer.status_code}"
                assert answer.headers["www-authenticate"].startswith("Bearer")
                checked += 1
    assert checked >= 4  # probes, probe read, echo count, audit logs


async def test_a_request_becomes_an_event_a_handler_in_another_service_answers_and_the_read_shows_it(
    client: httpx.AsyncClient, settings: PlatformSettings
) -> None:
    officer = bearer(settings, Role.INGEST_SYSTEM)
    posted = await client.post("/probe-desk/probes", json={"text": "synthetic probe"}, headers=officer)
    assert posted.status_code == 202, posted.text
    probe_id = posted.json()["probe_id"]

    reader = bearer(settings, Role.ANALYST) | PURPOSE
    probe = await wait_for_echo(client, probe_id, reader)

    assert probe["echoed_text"] == "SYNTHETIC PROBE"
    assert probe["blob_sha256"] == probe["blob_sha256_stored"] == probe["blob_sha256_seen"]
    count = await client.get("/probe-echo/echoes/count", params={"probe_id": probe_id}, headers=reader)
    assert count.json() == {"count": 1}


async def test_a_personal_data_read_needs_a_purpose_and_is_audited(
    client: httpx.AsyncClient, settings: PlatformSettings
) -> None:
    reader = bearer(settings, Role.ANALYST, sub="DC5678")
    missing = await client.get("/probe-desk/probes/p-unknown", headers=reader)
    assert missing.status_code == 400
    assert "Precise-Purpose" in missing.text

    await client.get("/probe-desk/probes/p-unknown", headers=reader | PURPOSE)

    auditor = bearer(settings, Role.AUDITOR, sub="AUD1") | {"Precise-Purpose": "CASE/2026/0815; audit sample"}
    assert (await client.get("/probe-desk/audit-log", headers=reader | PURPOSE)).status_code == 403
    records = (await client.get("/probe-desk/audit-log", params={"actor": "DC5678"}, headers=auditor)).json()
    refused, read = records  # newest first: the analyst's refused look at the audit log is audited too
    assert (refused["action"], refused["outcome"]) == ("audit:read", "denied")
    assert read["actor"] == "DC5678"
    assert read["role"] == "analyst"
    assert read["purpose_reference"] == "INC-20261122-0042"
    assert read["action"] == "ingest:read"
    assert read["subject_ref"] == "p-unknown"
    assert read["outcome"] == "allowed"


async def test_metrics_show_request_latency_handler_durations_and_outbox_lag(
    client: httpx.AsyncClient, settings: PlatformSettings
) -> None:
    officer = bearer(settings, Role.INGEST_SYSTEM)
    probe_id = (await client.post("/probe-desk/probes", json={"text": "m"}, headers=officer)).json()["probe_id"]
    await wait_for_echo(client, probe_id, bearer(settings, Role.ANALYST) | PURPOSE)

    text = (await client.get("/metrics")).text
    assert 'precise_http_request_duration_seconds_count{method="POST",route="/probes",service="probe-desk"' in text
    assert "precise_handler_duration_seconds_count" in text
    assert 'precise_outbox_lag_seconds{service="probe-desk"}' in text
    assert 'precise_outbox_pending{service="probe-echo"}' in text


async def test_one_trace_runs_from_the_request_through_the_event_to_the_handler_in_the_other_service(
    client: httpx.AsyncClient, settings: PlatformSettings
) -> None:
    spans = InMemorySpanExporter()
    setup_tracing(settings, "precise-test", exporter=spans)
    officer = bearer(settings, Role.INGEST_SYSTEM)
    probe_id = (await client.post("/probe-desk/probes", json={"text": "t"}, headers=officer)).json()["probe_id"]
    await wait_for_echo(client, probe_id, bearer(settings, Role.ANALYST) | PURPOSE)

    finished = spans.get_finished_spans()
    server = next(s for s in finished if s.kind is SpanKind.SERVER and "POST" in s.name and "/probes" in s.name)
    processed = [s for s in finished if s.kind is SpanKind.CONSUMER and s.context.trace_id == server.context.trace_id]
    topics = {s.attributes["messaging.destination.name"] for s in processed if s.attributes}
    assert topics == {"probe-desk", "probe-echo"}  # echo handled the request; desk handled the echo
