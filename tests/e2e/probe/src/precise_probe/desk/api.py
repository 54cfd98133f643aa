"""probe-desk's routes: request a probe (blob + row + event in one go), then read how it came back."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, Field

from precise_chassis.api import NotFound, blob_store, unit_of_work
from precise_chassis.auth import Access, Caller, Permission, personal_data, require
from precise_chassis.blob import BlobStore
from precise_chassis.uow import UnitOfWork
from precise_probe.contracts import ProbeRequested
from precise_probe.desk.store import Probe, add_probe, get_probe

router = APIRouter(tags=["probes"])


class ProbeRequest(BaseModel):
    text: str = Field(min_length=1, max_length=1000, description="Synthetic text to send round the platform.")


class ProbeAccepted(BaseModel):
    probe_id: str


class ProbeView(BaseModel):
    probe_id: str
    status: Literal["requested", "echoed"]
    text: str
    echoed_text: str | None
    blob_sha256: str = Field(description="SHA-256 the blob store reported when the text was stored.")
    blob_sha256_stored: str = Field(description="SHA-256 of the bytes read back from the blob store now.")
    blob_sha256_seen: str | None = Field(description="SHA-256 probe-echo received in the event.")


async def _once(content: bytes) -> AsyncIterator[bytes]:
    yield content


@router.post("/probes", status_code=status.HTTP_202_ACCEPTED)
async def request_probe(
    request: ProbeRequest,
    _caller: Annotated[Caller, Depends(require(Permission.INGEST_WRITE))],
    uow: Annotated[UnitOfWork, Depends(unit_of_work)],
    blobs: Annotated[BlobStore, Depends(blob_store)],
) -> ProbeAccepted:
    """Store the text as a blob, record the probe and publish ProbeRequested in the same transaction."""
    probe_id = uuid.uuid4().hex
    key = f"probes/{probe_id}.txt"
    # Blob first: a failed transaction leaves an unreferenced blob, never a row pointing at nothing.
    stored = await blobs.put(key, _once(request.text.encode()), content_type="text/plain; charset=utf-8")
    async with uow:
        await add_probe(
            uow.session,
            Probe(
                probe_id=probe_id,
                text=request.text,
                blob_key=key,
                blob_sha256=stored.sha256,
                requested_at=datetime.now(UTC),
                echoed_text=None,
                blob_sha256_seen=None,
                echoed_at=None,
            ),
        )
        uow.publish(ProbeRequested(probe_id=probe_id, text=request.text, blob_key=key, blob_sha256=stored.sha256))
    return ProbeAccepted(probe_id=probe_id)


@router.get("/probes/{probe_id}")
async def read_probe(
    probe_id: str,
    _access: Annotated[Access, Depends(personal_data(Permission.INGEST_READ))],
    uow: Annotated[UnitOfWork, Depends(unit_of_work)],
    blobs: Annotated[BlobStore, Depends(blob_store)],
) -> ProbeView:
    async with uow:
        probe = await get_probe(uow.session, probe_id)
    if probe is None:
        raise NotFound(f"no probe {probe_id}")
    digest = hashlib.sha256()
    async for chunk in blobs.get(probe.blob_key):
        digest.update(chunk)
    return ProbeView(
        probe_id=probe.probe_id,
        status=probe.status,
        text=probe.text,
        echoed_text=probe.echoed_text,
        blob_sha256=probe.blob_sha256,
        blob_sha256_stored=digest.hexdigest(),
        blob_sha256_seen=probe.blob_sha256_seen,
    )
