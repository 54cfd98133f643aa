"""The alert rules in deploy/prometheus/ watch only series the platform exports: each rule's expression is PromQL
naming metrics on /metrics of a platform that has ingested a batch, and each tells whoever is paged how bad it
is and what to do."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

RULE_FILES = sorted((Path(__file__).resolve().parents[2] / "deploy" / "prometheus").glob("*.yaml"))
SEVERITIES = ("warning", "critical")
DURATION = re.compile(r"\d+[smhd]")


def alerts(path: Path) -> list[dict[str, Any]]:
    rules: dict[str, Any] = yaml.safe_load(path.read_text())
    assert rules["kind"] == "PrometheusRule"
    return [rule for group in rules["spec"]["groups"] for rule in group["rules"]]


@pytest.mark.parametrize("path", RULE_FILES, ids=[path.name for path in RULE_FILES])
async def test_every_metric_an_alert_watches_is_exported(
    path: Path, exported: set[str], metrics_in: Callable[[str], set[str]]
) -> None:
    rules = await asyncio.to_thread(alerts, path)

    for rule in rules:
        named = metrics_in(rule["expr"])
        assert named, f"{rule['alert']} watches no Precise metric"
        assert named - exported == set(), rule["alert"]


@pytest.mark.parametrize("path", RULE_FILES, ids=[path.name for path in RULE_FILES])
def test_each_alert_says_how_bad_it_is_and_what_to_do(path: Path) -> None:
    rules = alerts(path)

    assert len({rule["alert"] for rule in rules}) == len(rules)
    for rule in rules:
        assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert len(rule["annotations"]["description"]) > 80, rule["alert"]  # what it means and where to look
        assert DURATION.fullmatch(rule.get("for", "0s")), rule["alert"]


def test_there_are_alerts_for_the_platform_and_for_ingest() -> None:
    assert {"platform-alerts.yaml", "ingest-alerts.yaml"} <= {path.name for path in RULE_FILES}
