"""ingest-adapters' routes: upload a file for a source, follow its batch, read what was rejected and why."""

from __future__ import annotations

import base64
import csv
import io
import logging
import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from precise_chassis.api import NotFound, service_runtime
from precise_chassis.auth import Access, Caller, Permission, personal_data, require
from precise_chassis.runtime import ServiceRuntime
from precise_ingest.adapters.mappings import MappingRegistry
from precise_ingest.adapters.registry import NEEDS_MAPPING
from precise_ingest.intake import Intake, intake_of
from precise_ingest.pipeline import Upload, record_batch, store_file
from precise_ingest.store import Batch, BatchStatus, RejectRow, get_batch, list_batches, list_rejects, retry_batch
from precise_ingest.upload import BadUpload, MultipartFile, TooLarge

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["ingest"])

MAPPING_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
CSV_PAGE = 1000
# OWASP CSV injection: a cell starting with one of these is a formula to a spreadsheet
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Counts(BaseModel):
    read: int = Field(description="Records read from the file so far.")
    accepted: int = Field(description="Records published (new, or changed since last read).")
    rejected: int = Field(description="Records quarantined with their reason (see the rejects).")
    duplicate: int = Field(description="Records already published with the same content: nothing published.")


class BatchView(BaseModel):
    batch_id: str
    source: str
    mapping: str | None
    filename: str | None
    status: Literal["received", "processing", "completed", "failed"]
    failure_reason: str | None = Field(description="Why the file as a whole could not be read, when it failed.")
    counts: Counts = Field(description="read = accepted + rejected + duplicate, always.")
    size: int = Field(description="Bytes received.")
    sha256: str = Field(description="SHA-256 of the file as received.")
    received_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    retries: int = Field(description="Times the batch was put back after it failed (POST .../retry).")

    @classmethod
    def of(cls, batch: Batch) -> BatchView:
        return cls(
            batch_id=batch.batch_id,
            source=batch.source,
            mapping=batch.mapping,
            filename=batch.filename,
            status=batch.status.value,
            failure_reason=batch.failure_reason,
            counts=Counts(
                read=batch.counts.read,
                accepted=batch.counts.accepted,
                rejected=batch.counts.rejected,
                duplicate=batch.counts.duplicate,
            ),
            size=batch.size,
            sha256=batch.blob_sha256,
            received_at=batch.received_at,
            started_at=batch.started_at,
            finished_at=batch.finished_at,
            retries=batch.retries,
        )


class RejectView(BaseModel):
    reject_id: int = Field(description="Pass as `after` to read the next page.")
    line: int = Field(description="The line (record number, for binary formats) the record starts on.")
    field: str | None = Field(description="The field at fault, when one is.")
    reason: str
    original: str = Field(description="The record as it was in the file (decoded as UTF-8, bad bytes replaced).")
    original_base64: str = Field(description="The record's exact bytes.")


def _intake(runtime: Annotated[ServiceRuntime, Depends(service_runtime)]) -> Intake:
    return intake_of(runtime)


# Who may follow a batch: readers of ingested data, and the system that sent the file (status and counts hold no
# personal data, and a connector must know whether its upload failed).
batch_follower = require(Permission.INGEST_READ, Permission.INGEST_WRITE)
# Who may put a failed batch back: the system that sent it (its own batches only), and whoever owns the platform's
# stuck work (supervisors), any batch.
batch_retrier = require(Permission.INGEST_WRITE, Permission.DEADLETTER_MANAGE)


_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "The export file."},
                        "mapping": {"type": "string", "description": "Legacy only: the mapping file's name."},
                    },
                }
            }
        },
    }
}


@router.post(
    "/{source}/files",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=BatchView,
    openapi_extra=_UPLOAD_BODY,
    responses={
        404: {"description": "No adapter for the source."},
        413: {"description": "The file is larger than PRECISE_INGEST_MAX_UPLOAD_BYTES."},
        422: {"description": "Not a multipart upload with one file, or a missing or malformed mapping name."},
    },
)
async def upload_file(
    source: str,
    request: Request,
    caller: Annotated[Caller, Depends(require(Permission.INGEST_WRITE))],
    intake: Annotated[Intake, Depends(_intake)],
    mapping: Annotated[str | None, Query(description="Legacy only: the mapping that describes the file.")] = None,
) -> Response:
    """Store the file and answer 202 with its batch; its records are read in the background."""
    if source not in intake.adapters:
        raise NotFound(f"no adapter for source {source!r}; known: {', '.join(sorted(intake.adapters))}")
    limit = intake.settings.max_upload_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return _problem(413, "File too large", f"the upload is {declared} bytes; the limit is {limit}")
    try:
        if mapping is not None:
            _check_mapping(source, mapping)
        form = MultipartFile(request.headers.get("content-type", ""), request.stream(), limit=limit)
        await form.start()
        batch_id, stored = await store_file(intake.blobs, source, form.file_chunks())
        chosen = mapping or form.fields.get("mapping") or None
        _check_mapping(source, chosen)
        if chosen is not None and await MappingRegistry(intake.blobs).get(chosen) is None:
            raise BadUpload(f"there is no mapping named {chosen!r}; GET /ingest/v1/mappings lists them")
    except TooLarge as exc:
        return _problem(413, "File too large", str(exc))
    except BadUpload as exc:
        return _problem(422, "Not a valid upload", str(exc))
    upload = Upload(source=source, mapping=chosen, filename=form.filename, submitted_by=caller.subject)
    batch = await record_batch(intake.runtime, batch_id, stored, upload)
    intake.submit(batch.batch_id)
    return accepted(request, batch)


@router.get("/batches", response_model=list[BatchView])
async def read_batches(
    caller: Annotated[Caller, Depends(batch_follower)],
    runtime: Annotated[ServiceRuntime, Depends(service_runtime)],
    batch_status: Annotated[
        BatchStatus | None, Query(alias="status", description="Only the batches in this state, e.g. failed.")
    ] = None,
    source: Annotated[str | None, Query(max_length=32, description="Only this source's batches.")] = None,
    before: Annotated[
        str | None, Query(max_length=32, description="Paging: the batch_id of the last batch already read.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[BatchView]:
    """Batches, newest first (by when they were received): which files failed today, which are still being read.
    Readers of ingested data see every batch; a source system's connector sees the batches it sent."""
    submitted_by = None if caller.role_for(Permission.INGEST_READ) else caller.subject
    async with runtime.unit_of_work() as uow:
        last = await get_batch(uow.session, before) if before is not None else None
        if before is not None and (last is None or submitted_by not in (None, last.submitted_by)):
            raise NotFound(f"no batch {before}")
        page = await list_batches(
            uow.session, status=batch_status, source=source, submitted_by=submitted_by, before=last, limit=limit
        )
    return [BatchView.of(batch) for batch in page]


@router.get("/batches/{batch_id}", response_model=BatchView)
async def read_batch(
    batch_id: str,
    _caller: Annotated[Caller, Depends(batch_follower)],
    runtime: Annotated[ServiceRuntime, Depends(service_runtime)],
) -> BatchView:
    """The batch's status and counts (read = accepted + rejected + duplicate)."""
    return BatchView.of(await _batch(runtime, batch_id))


@router.post(
    "/batches/{batch_id}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=BatchView,
    responses={
        404: {"description": "No such batch, or (for a source system) not one it sent."},
        409: {"description": "The batch has not failed: it has completed, or is being read."},
    },
)
async def retry_failed_batch(
    batch_id: str,
    request: Request,
    caller: Annotated[Caller, Depends(batch_retrier)],
    intake: Annotated[Intake, Depends(_intake)],
) -> Response:
    """Read a failed batch's stored file again, from after its last committed chunk: once the mapping it named
    has been added, or what stopped it has been fixed. Records already published are not published again."""
    async with intake.runtime.unit_of_work() as uow:
        batch = await get_batch(uow.session, batch_id)
        if batch is None or (
            caller.role_for(Permission.DEADLETTER_MANAGE) is None and batch.submitted_by != caller.subject
        ):
            raise NotFound(f"no batch {batch_id}")
        retried = await retry_batch(uow.session, batch_id)
        current = await get_batch(uow.session, batch_id) or batch  # a batch is never deleted
    if not retried:
        detail = f"batch {batch_id} is {current.status}: only a failed batch is read again"
        return _problem(409, "Batch has not failed", detail)
    log.info(
        "batch %s (%s) put back by %s after it failed: %s", batch_id, batch.source, caller.subject, batch.failure_reason
    )
    intake.submit(batch_id)
    return accepted(request, current)


@router.get(
    "/batches/{batch_id}/rejects",
    response_model=list[RejectView],
    responses={200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with ?format=csv."}},
)
async def read_rejects(
    batch_id: str,
    _access: Annotated[Access, Depends(personal_data(Permission.INGEST_READ))],
    runtime: Annotated[ServiceRuntime, Depends(service_runtime)],
    format: Annotated[Literal["json", "csv"], Query(description="csv: every reject, as a download")] = "json",
    after: Annotated[int, Query(ge=0, description="JSON paging: the last reject_id already read")] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> Response:
    """Each rejected record with its line, the field at fault, the reason and the original text. Rejects hold
    personal data: the read needs a stated purpose and is audited."""
    await _batch(runtime, batch_id)
    if format == "csv":
        return StreamingResponse(
            _rejects_csv(runtime, batch_id),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="batch-{batch_id}-rejects.csv"'},
        )
    async with runtime.unit_of_work() as uow:
        page = await list_rejects(uow.session, batch_id, after=after, limit=limit)
    views = [_reject_view(reject_id, row).model_dump(mode="json") for reject_id, row in page]
    return JSONResponse(views)


def accepted(request: Request, batch: Batch) -> JSONResponse:
    """202: the batch will be read in the background; its Location is where to follow it."""
    return JSONResponse(
        BatchView.of(batch).model_dump(mode="json"),
        status_code=status.HTTP_202_ACCEPTED,
        headers={"Location": request.url_for("read_batch", batch_id=batch.batch_id).path},
    )


async def _batch(runtime: ServiceRuntime, batch_id: str) -> Batch:
    async with runtime.unit_of_work() as uow:
        batch = await get_batch(uow.session, batch_id)
    if batch is None:
        raise NotFound(f"no batch {batch_id}")
    return batch


def _check_mapping(source: str, mapping: str | None) -> None:
    if mapping is None:
        if source in NEEDS_MAPPING:
            raise BadUpload(f"a {source} file needs mapping=NAME, the mapping file that describes it")
        return
    if source not in NEEDS_MAPPING:
        raise BadUpload(f"{source} files have one documented format; mapping is only for {', '.join(NEEDS_MAPPING)}")
    if not MAPPING_NAME.fullmatch(mapping):
        raise BadUpload(f"mapping {mapping[:80]!r} is not a mapping name (a-z, 0-9 and '-', up to 63)")


def _reject_view(reject_id: int, row: RejectRow) -> RejectView:
    return RejectView(
        reject_id=reject_id,
        line=row.line,
        field=row.field,
        reason=row.reason,
        original=row.original.decode("utf-8", "replace"),
        original_base64=base64.b64encode(row.original).decode("ascii"),
    )


def neutralised(cell: str) -> str:
    """The cell as a spreadsheet shows it as text, not a formula (OWASP CSV injection)."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


async def _rejects_csv(runtime: ServiceRuntime, batch_id: str) -> AsyncIterator[str]:
    yield _csv_row(["line", "field", "reason", "original"])
    after = 0
    while True:
        async with runtime.unit_of_work() as uow:
            page = await list_rejects(uow.session, batch_id, after=after, limit=CSV_PAGE)
        if not page:
            return
        for reject_id, row in page:
            after = reject_id
            yield _csv_row([str(row.line), row.field or "", row.reason, row.original.decode("utf-8", "replace")])


def _csv_row(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerow([neutralised(cell) for cell in cells])
    return out.getvalue()


def _problem(status_code: int, title: str, detail: str) -> JSONResponse:
    return JSONResponse(
        {"type": "about:blank", "title": title, "status": status_code, "detail": detail},
        status_code=status_code,
        media_type="application/problem+json",
    )
