"""Background work a user notices: a batch a killed process left behind is finished after a restart, and a
file dropped into the drop folder is ingested once."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from precise_ingest.service import service
from precise_ingest.store import Batch, BatchStatus, Counts, add_batch
from precise_ingest.testing import finished_batch, published, runtime_of

from precise_chassis.app import create_app
from precise_chassis.blob.factory import blob_store_for
from precise_chassis.database import Database
from precise_chassis.migrate import migrate
from precise_chassis.runtime import Platform
from precise_chassis.settings import PlatformSettings
from precise_contracts.registry import REGISTRY


async def _once(content: bytes) -> AsyncIterator[bytes]:
    yield content


async def test_a_batch_left_received_by_a_killed_process_is_processed_after_restart(
    settings: PlatformSettings, writer: dict[str, str], nominals: bytes
) -> None:
    # what a process killed right after answering 202 leaves: the stored file and its batch row
    db = Database.for_service(service.name, settings)
    blobs = blob_store_for(settings, service.name)
    assert service.migrations is not None
    await migrate(db, [service.migrations])
    stored = await blobs.put("batches/left-behind/original", _once(nominals))
    async with db.session() as session, session.begin():
        await add_batch(
            session,
            Batch(
                batch_id="left-behind",
                source="pnc",
                mapping=None,
                filename="nominals.csv",
                blob_key=stored.key,
                blob_sha256=stored.sha256,
                size=stored.size,
                submitted_by="PNC-LINK",
                status=BatchStatus.RECEIVED,
                failure_reason=None,
                counts=Counts(),
                received_at=datetime.now(UTC),
                started_at=None,
                finished_at=None,
            ),
        )
    await blobs.close()
    await db.dispose()

    app = create_app(Platform(settings, [service], REGISTRY))
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://precise") as client,
    ):
        batch = await finished_batch(client, "left-behind", writer)

        rows = nominals.count(b"\r\n") - 1
        assert batch["status"] == "completed"
        assert batch["counts"] == {"read": rows, "accepted": rows, "rejected": 0, "duplicate": 0}
        assert len(await published(runtime_of(app))) == rows
        assert batch["sha256"] == hashlib.sha256(nominals).hexdigest()


async def test_a_file_dropped_in_the_drop_folder_is_ingested_once(
    app: FastAPI, client: httpx.AsyncClient, settings: PlatformSettings, writer: dict[str, str], nominals: bytes
) -> None:
    folder = settings.data_dir / "ingest-drop" / "pnc"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nightly.csv").write_bytes(nominals)

    done = await _taken_in(folder)
    batch_id = done.name.split("-", 1)[0]
    batch = await finished_batch(client, batch_id, writer)
    await asyncio.sleep(0.3)  # several more polls

    rows = nominals.count(b"\r\n") - 1
    assert batch["filename"] == "nightly.csv"
    assert batch["counts"]["accepted"] == rows
    assert not (folder / "nightly.csv").exists()
    assert done.read_bytes() == nominals
    assert len(list((folder / ".done").iterdir())) == 1
    assert len(await published(runtime_of(app))) == rows


async def _taken_in(folder: Path) -> Path:
    for _ in range(200):
        done = list((folder / ".done").glob("*-nightly.csv")) if (folder / ".done").exists() else []
        if done:
            return done[0]
        await asyncio.sleep(0.02)
    raise AssertionError("the dropped file was never taken in")
