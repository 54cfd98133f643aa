"""ANPR reads posted by a camera system's back office, not uploaded as a file: a JSON batch of reads, or a
streamed NDJSON body for high volumes. Either is stored as a JSON-lines blob and recorded as a batch exactly as
a file upload is, so the same pipeline reads it: idempotency, rejects, counts and events behave the same."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from precise_chassis.auth import Caller, Permission, require
from precise_ingest.api import BatchView, _intake, _problem, accepted
from precise_ingest.intake import Intake
from precise_ingest.pipeline import Upload, record_batch, store_file
from precise_ingest.upload import BadUpload, TooLarge

router = APIRouter(prefix="/v1/anpr", tags=["ingest"])

SOURCE = "anpr"
MAX_READS = 10_000  # per JSON batch; more reads go as NDJSON, which streams
MAX_READ_BYTES = 4096  # a read with every field is about 500 bytes: this bounds a JSON body before parsing it
MAX_JSON_BYTES = MAX_READS * MAX_READ_BYTES
NDJSON_TYPES = ("application/x-ndjson", "application/jsonl")


class TooManyReads(Exception):
    """A JSON batch holds more reads than MAX_READS."""


class ReadsBody(BaseModel):
    reads: list[dict[str, Any]] = Field(
        min_length=1, description=f"Up to {MAX_READS} reads, each an object of docs/formats/anpr-reads.md's fields."
    )


_BODY = TypeAdapter(ReadsBody)

_READS_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": ReadsBody.model_json_schema()},
            "application/x-ndjson": {
                "schema": {"type": "string", "description": "One read (a JSON object) per line, streamed."}
            },
        },
    }
}


@router.post(
    "/reads",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=BatchView,
    openapi_extra=_READS_BODY,
    responses={
        413: {"description": f"More than {MAX_READS} reads in a JSON batch, or an NDJSON body over the upload limit."},
        415: {"description": "Neither application/json nor application/x-ndjson."},
        422: {"description": "No reads, or not the documented body."},
    },
)
async def post_reads(
    request: Request,
    caller: Annotated[Caller, Depends(require(Permission.INGEST_WRITE))],
    intake: Annotated[Intake, Depends(_intake)],
) -> Response:
    """Store the reads and answer 202 with their batch, as a file upload does; they are read in the background."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if media_type in NDJSON_TYPES:
            content = _ndjson(request.stream(), limit=intake.settings.max_upload_bytes)
        elif media_type == "application/json":
            content = _json_lines(await _reads(request))
        else:
            return _problem(415, "Unsupported media type", "send application/json or application/x-ndjson")
        batch_id, stored = await store_file(intake.blobs, SOURCE, content)
    except (TooLarge, TooManyReads) as exc:
        return _problem(413, "Too many reads", str(exc))
    except BadUpload as exc:
        return _problem(422, "Not a valid batch of reads", str(exc))
    upload = Upload(source=SOURCE, mapping=None, filename=None, submitted_by=caller.subject)
    batch = await record_batch(intake.runtime, batch_id, stored, upload)
    intake.submit(batch.batch_id)
    return accepted(request, batch)


async def _reads(request: Request) -> list[dict[str, Any]]:
    """The JSON body's reads; the body is bounded in bytes before it is parsed and in reads after."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_JSON_BYTES:
        raise TooLarge(MAX_JSON_BYTES)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_JSON_BYTES:
            raise TooLarge(MAX_JSON_BYTES)
    try:
        reads = _BODY.validate_json(bytes(body)).reads
    except ValidationError as exc:
        raise BadUpload(f'the body must be {{"reads": [read, ...]}} with at least one read object: {exc}') from exc
    if len(reads) > MAX_READS:
        raise TooManyReads(f"the batch has {len(reads)} reads; the limit is {MAX_READS} (stream more as NDJSON)")
    return reads


async def _json_lines(reads: Sequence[dict[str, Any]]) -> AsyncIterator[bytes]:
    # compact JSON escapes newlines inside strings, so each read is exactly one line
    for read in reads:
        yield json.dumps(read, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


async def _ndjson(body: AsyncIterator[bytes], *, limit: int) -> AsyncIterator[bytes]:
    """The body passed on as it arrives, counted against the limit. Its first line must be a JSON object: the
    adapter judges the encoding by it, and anything else would be read as a CSV file."""
    size = 0
    started = False
    async for chunk in body:
        size += len(chunk)
        if size > limit:
            raise TooLarge(limit)
        if not started and (text := chunk.lstrip()):
            if not text.startswith(b"{"):
                raise BadUpload("an NDJSON body is one JSON object (a read) per line")
            started = True
        yield chunk
    if not started:
        raise BadUpload("the body holds no reads")
