"""What the monitoring in deploy/ is checked against: the series a platform exports once it has ingested a batch,
and the metric names a PromQL query uses."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import promql_parser
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

_METRIC = re.compile(r"\bprecise_[a-z_]+\b")
# the samples of each type of metric, by the suffix they add to its name
_SAMPLES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


def _metrics_in(query: str) -> set[str]:
    promql_parser.parse(query)  # raises ValueError saying what is wrong, e.g. "unclosed left parenthesis"
    return set(_METRIC.findall(query))


@pytest.fixture
def metrics_in() -> Callable[[str], set[str]]:
    """The Precise metrics a PromQL query names; a query that is not PromQL fails the test that asks."""
    return _metrics_in


@pytest.fixture
async def exported(tmp_path: Path) -> set[str]:
    """The sample names on /metrics after one ANPR batch went through ingest (embedded profile), and those of the
    series declared there that nothing has touched yet."""
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
    exported: set[str] = set()
    for family in text_string_to_metric_families(text):
        # a labelled series no event has touched yet (a dead letter, say) is declared with no samples
        exported |= {family.name + suffix for suffix in _SAMPLES.get(family.type, ("",))}
        exported |= {sample.name for sample in family.samples}
    return exported
