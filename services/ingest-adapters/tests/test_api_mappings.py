"""The mappings API mounted as the platform mounts a service: who may list, read and add mappings, and what
a caller sees when a mapping is wrong or taken."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from precise_ingest.api_mappings import router

from precise_chassis.api import blob_store
from precise_chassis.auth.dependencies import install_auth_problems
from precise_chassis.auth.dev_issuer import issue_dev_token
from precise_chassis.auth.roles import Role
from precise_chassis.auth.tokens import TokenVerifier
from precise_chassis.blob.local import LocalBlobStore
from precise_chassis.settings import PlatformSettings, Profile

STORM = """\
name: storm
description: Command and control, CSV export.
record: incident
input: {format: csv, encoding: utf-8}
record_id: REF
fields:
  recorded_date: {from: OPENED, date_format: "%d/%m/%Y %H:%M"}
  category: {from: TYPE, codes: {BURG: theft-offences}}
  classification: {from: TYPE}
  occurred_at: {from: OCCURRED, date_format: "%d/%m/%Y %H:%M"}
  reported_at: {from: OPENED, date_format: "%d/%m/%Y %H:%M"}
  address.lines: {from: ADDRESS, split: ","}
"""
YAML = {"Content-Type": "application/yaml"}


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> PlatformSettings:
    return PlatformSettings(profile=Profile.EMBEDDED, data_dir=tmp_path_factory.mktemp("data"))


def platform(settings: PlatformSettings, blobs: Path) -> FastAPI:
    service = FastAPI()
    service.state.precise_auth = TokenVerifier.for_settings(settings)
    install_auth_problems(service)
    service.include_router(router)
    store = LocalBlobStore(blobs, "ingest-adapters")
    service.dependency_overrides[blob_store] = lambda: store
    root = FastAPI()
    root.mount("/ingest", service)
    return root


@pytest.fixture
async def client(settings: PlatformSettings, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=platform(settings, tmp_path))
    async with httpx.AsyncClient(transport=transport, base_url="http://precise") as client:
        yield client


def bearer(settings: PlatformSettings, role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_dev_token(settings, roles=[role], sub='PC1234')}"}


async def test_an_analyst_lists_and_reads_the_shipped_mappings(
    client: httpx.AsyncClient, settings: PlatformSettings
) -> None:
    analyst = bearer(settings, Role.ANALYST)
    listed = await client.get("/ingest/v1/mappings", headers=analyst)
    assert listed.status_code == 200, listed.text
    assert [(m["name"], m["system"], m["format"], m["record"]) for m in listed.json()] == [
        ("custody", "legacy/custody", "csv", "person"),
        ("incidents", "legacy/incidents", "json", "incident"),
        ("intel", "legacy/intel", "fixed-width", "intelligence"),
    ]
    shown = await client.get("/ingest/v1/mappings/intel", headers=analyst)
    assert shown.status_code == 200
    assert shown.json()["yaml"].startswith("# Old intelligence system")
    assert shown.json()["definition"]["fields"]["text"]["from"] == "TEXT"
    missing = await client.get("/ingest/v1/mappings/storm", headers=analyst)
    assert missing.status_code == 404


async def test_an_ingest_system_adds_a_mapping_that_is_then_listed_and_kept(
    client: httpx.AsyncClient, settings: PlatformSettings, tmp_path: Path
) -> None:
    added = await client.post("/ingest/v1/mappings", content=STORM, headers=bearer(settings, Role.INGEST_SYSTEM) | YAML)
    assert added.status_code == 201, added.text
    assert added.headers["location"] == "/ingest/v1/mappings/storm"
    assert added.json()["shipped"] is False

    transport = httpx.ASGITransport(app=platform(settings, tmp_path))  # a restart: a new app, the same blobs
    async with httpx.AsyncClient(transport=transport, base_url="http://precise") as restarted:
        listed = await restarted.get("/ingest/v1/mappings", headers=bearer(settings, Role.SUPERVISOR))
        assert [m["name"] for m in listed.json()][-1] == "storm"
        shown = await restarted.get("/ingest/v1/mappings/storm", headers=bearer(settings, Role.SUPERVISOR))
        assert shown.json()["yaml"] == STORM


async def test_a_taken_name_is_409_and_an_invalid_mapping_422_with_each_problem(
    client: httpx.AsyncClient, settings: PlatformSettings
) -> None:
    writer = bearer(settings, Role.INGEST_SYSTEM) | YAML
    assert (await client.post("/ingest/v1/mappings", content=STORM, headers=writer)).status_code == 201
    again = await client.post("/ingest/v1/mappings", content=STORM, headers=writer)
    assert again.status_code == 409
    assert "storm" in again.json()["detail"]
    shipped = await client.post("/ingest/v1/mappings", content=STORM.replace("storm", "custody"), headers=writer)
    assert shipped.status_code == 409

    wrong = STORM.replace("name: storm", "name: niche").replace("theft-offences", "burglary")
    wrong = wrong.replace("  classification: {from: TYPE}\n", "")
    invalid = await client.post("/ingest/v1/mappings", content=wrong, headers=writer)
    assert invalid.status_code == 422
    assert invalid.headers["content-type"] == "application/problem+json"
    assert invalid.json()["errors"] == [{"path": "fields", "message": "record incident needs classification mapped"}]
    broken = await client.post("/ingest/v1/mappings", content=b"name: [", headers=writer)
    assert broken.status_code == 422
    assert "not valid YAML" in broken.json()["detail"]


async def test_reading_needs_ingest_read_and_adding_ingest_write(
    client: httpx.AsyncClient, settings: PlatformSettings
) -> None:
    assert (await client.get("/ingest/v1/mappings")).status_code == 401
    assert (await client.post("/ingest/v1/mappings", content=STORM, headers=YAML)).status_code == 401
    officer = bearer(settings, Role.RESPONSE_OFFICER)
    assert (await client.get("/ingest/v1/mappings", headers=officer)).status_code == 403
    assert (await client.get("/ingest/v1/mappings/custody", headers=officer)).status_code == 403
    analyst = bearer(settings, Role.ANALYST) | YAML
    refused = await client.post("/ingest/v1/mappings", content=STORM, headers=analyst)
    assert refused.status_code == 403
    assert "ingest:write" in refused.json()["detail"]
