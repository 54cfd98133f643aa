"""Test helpers for ingest-adapters (as precise_chassis.testing is for the chassis): drive the ingest API as a
connector would, and read what the service published."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from precise_chassis.outbox import stored_envelope
from precise_chassis.runtime import ServiceRuntime
from precise_chassis.tables import outbox
from precise_contracts.events.ingest import PersonRecordObserved

FINISHED = ("completed", "failed")
# One ANPR read as docs/formats/anpr-reads.md gives it (JSON-lines field types), for tests to vary.
ANPR_READ: dict[str, Any] = {
    "read_id": "3f0c6a52-8d7e-4b1e-9a43-6f2d1c0b7e91",
    "vrm": "AW18CMF",
    "capture_time": "2024-03-18T17:05:41.450+00:00",
    "camera_id": "BHM-E-1",
    "site_id": "BHM-E",
    "site_name": "Birmingham eastern approach",
    "latitude": 52.4862,
    "longitude": -1.853504,
    "lane": 2,
    "direction": "E",
    "confidence": 97,
    "plate_image": "images/2024/03/18/x-plate.jpg",
    "overview_image": "images/2024/03/18/x-overview.jpg",
}


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    content: bytes,
    *,
    source: str = "pnc",
    name: str = "nominals.csv",
    params: dict[str, str] | None = None,
) -> httpx.Response:
    return await client.post(
        f"/ingest/v1/{source}/files", files={"file": (name, content, "text/csv")}, headers=headers, params=params
    )


async def finished_batch(
    client: httpx.AsyncClient, batch_id: str, headers: dict[str, str], *, wait_seconds: float = 20.0
) -> dict[str, Any]:
    """The batch once completed or failed (polled)."""
    deadline = asyncio.get_running_loop().time() + wait_seconds
    while True:
        answer = await client.get(f"/ingest/v1/batches/{batch_id}", headers=headers)
        answer.raise_for_status()
        batch: dict[str, Any] = answer.json()
        if batch["status"] in FINISHED:
            return batch
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"batch {batch_id} is still {batch['status']} after {wait_seconds}s")
        await asyncio.sleep(0.02)


def runtime_of(app: FastAPI) -> ServiceRuntime:
    """ingest-adapters' runtime in an app made by precise_chassis.app.create_app."""
    for route in app.routes:
        runtime = getattr(getattr(getattr(route, "app", None), "state", None), "precise", None)
        if isinstance(runtime, ServiceRuntime) and runtime.name == "ingest-adapters":
            return runtime
    raise LookupError("ingest-adapters is not mounted in this app")


async def published(runtime: ServiceRuntime, event_type: str = PersonRecordObserved.type) -> list[dict[str, Any]]:
    """The payloads of the events of one type the service wrote to its outbox, oldest first."""
    async with runtime.db.engine.connect() as conn:
        rows = await conn.execute(
            select(outbox.c.attributes, outbox.c.data).where(outbox.c.event_type == event_type).order_by(outbox.c.seq)
        )
        return [stored_envelope(attributes, data).payload() for attributes, data in rows.all()]
