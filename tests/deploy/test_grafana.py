"""The Grafana dashboards in deploy/grafana/ chart only series the platform exports: each metric a panel's query
names is on /metrics of a platform that has ingested a batch, and each panel is laid out on Grafana's grid."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from precise_ingest.service import service
from precise_ingest.testing import ANPR_READ, finished_batch
from prometheus_client.parser import text_string_to_metric_families

from precise_chassis.app import create_app
from precise_chassis.auth.dev_issuer import issue_dev_token
from precise_chassis.auth.roles import Role
from precise_chassis.runtime import Platform
from precise_chassis.settings import PlatformSettings, Profile
from precise_contracts.registry import REGISTRY

DASHBOARDS = sorted((Path(__file__).resolve().parents[2] / "deploy" / "grafana").glob("*.json"))
METRIC = re.compile(r"\bprecise_[a-z_]+\b")
GRID_COLUMNS = 24


def queries(dashboard: dict[str, Any]) -> list[str]:
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


@pytest.fixture
async def exported(tmp_path: Path) -> set[str]:
    """The sample names on /metrics after one ANPR batch went through ingest (embedded profile)."""
    settings = PlatformSettings(profile=Profile.EMBEDDED, data_dir=tmp_path / "data", outbox_poll_seconds=0.05)
    app: FastAPI = create_app(Platform(settings, [service], REGISTRY))
    headers = {"Authorization": f"Bearer {issue_dev_token(settings, roles=[Role.INGEST_SYSTEM], sub='ANPR-LINK')}"}
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://precise") as client,
    ):
        answer = await client.post("/ingest/v1/anpr/reads", json={"reads": [ANPR_READ]}, headers=headers)
        await finished_batch(client, answer.json()["batch_id"], headers)
        text = (await client.get("/metrics")).text
    return {sample.name for family in text_string_to_metric_families(text) for sample in family.samples}


@pytest.mark.parametrize("path", DASHBOARDS, ids=[path.name for path in DASHBOARDS])
async def test_every_metric_a_dashboard_queries_is_exported(path: Path, exported: set[str]) -> None:
    dashboard = json.loads(await asyncio.to_thread(path.read_text))
    named = {name for query in queries(dashboard) for name in METRIC.findall(query)}

    assert named, "the dashboard queries no Precise metric"
    assert named - exported == set()


@pytest.mark.parametrize("path", DASHBOARDS, ids=[path.name for path in DASHBOARDS])
def test_each_panel_has_its_own_id_and_a_place_on_the_grid(path: Path) -> None:
    panels = json.loads(path.read_text())["panels"]

    assert len({panel["id"] for panel in panels}) == len(panels)
    for panel in panels:
        place = panel["gridPos"]
        assert place["x"] >= 0, panel["title"]
        assert place["x"] + place["w"] <= GRID_COLUMNS, panel["title"]
        assert panel["targets"], panel["title"]
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]


def test_there_is_a_dashboard_for_ingest() -> None:
    assert "ingest.json" in [path.name for path in DASHBOARDS]
