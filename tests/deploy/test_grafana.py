"""The Grafana dashboards in deploy/grafana/ chart only series the platform exports: each panel's query is PromQL
and each metric it names is on /metrics of a platform that has ingested a batch, and each panel is laid out on
Grafana's grid."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

DASHBOARDS = sorted((Path(__file__).resolve().parents[2] / "deploy" / "grafana").glob("*.json"))
GRID_COLUMNS = 24


def queries(dashboard: dict[str, Any]) -> list[str]:
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


@pytest.mark.parametrize("path", DASHBOARDS, ids=[path.name for path in DASHBOARDS])
async def test_every_metric_a_dashboard_queries_is_exported(
    path: Path, exported: set[str], metrics_in: Callable[[str], set[str]]
) -> None:
    dashboard = json.loads(await asyncio.to_thread(path.read_text))
    named = {name for query in queries(dashboard) for name in metrics_in(query)}

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


def test_there_are_dashboards_for_the_platform_and_for_ingest() -> None:
    assert {"platform.json", "ingest.json"} <= {path.name for path in DASHBOARDS}
