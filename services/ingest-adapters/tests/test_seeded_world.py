"""`make demo`: a synthetic world handed to the drop folder is taken in whole — every source, no rejects."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from fastapi import FastAPI
from precise_ingest.testing import finished_batch, published, runtime_of

from precise_chassis.settings import PlatformSettings
from precise_contracts.events.ingest import BiometricIdentified, PersonRecordObserved, VehicleSightingsBatched
from precise_tools.synth.drop import arrange_for_ingest


async def test_every_file_of_a_synthetic_world_is_ingested_without_a_reject(
    app: FastAPI, client: httpx.AsyncClient, settings: PlatformSettings, writer: dict[str, str], synthetic: Path
) -> None:
    placed = arrange_for_ingest(synthetic, settings.data_dir / "ingest-drop")
    assert {p.parent.name for p in placed} >= {"pnc", "anpr", "ident1", "custody", "intel", "incidents"}

    batch_ids = await taken_in(placed)
    batches = [await finished_batch(client, batch_id, writer, wait_seconds=60) for batch_id in batch_ids]

    for batch in batches:
        assert batch["status"] == "completed", batch
        assert batch["counts"]["rejected"] == 0, batch
    runtime = runtime_of(app)
    for event in (PersonRecordObserved, VehicleSightingsBatched, BiometricIdentified):
        assert await published(runtime, event.type), f"no {event.__name__} was published"


async def taken_in(placed: list[Path]) -> list[str]:
    """The batch id of each placed file, once the drop folder has moved it into `.done/<batch>-<name>`."""
    for _ in range(1500):
        done = [list((p.parent / ".done").glob(f"*-{p.name}")) for p in placed]
        if all(done):
            return [found[0].name.split("-", 1)[0] for found in done]
        await asyncio.sleep(0.02)
    missing = [str(p) for p in placed if p.exists()]
    raise AssertionError(f"never taken in: {missing}")
