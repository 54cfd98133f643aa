"""A record's content hash and its provenance stamp: what makes ingesting idempotent.

The hash is the SHA-256 of the record's JSON as its contract serialises it (fields in declaration order, no
spaces, UTF-8) without the fields that are about the ingest rather than the record (`source.content_hash`,
`is_update`), so the same source content always gives the same hash, whichever batch it arrives in. One
pydantic-core call per record: hashing runs for every read of every file.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel

from precise_contracts.events.ingest import SourceRecordRef

M = TypeVar("M", bound=BaseModel)
# the ingest's own fields; the contracts put them at the top level (`source` is a SourceRecordRef)
_NOT_CONTENT: dict[str, Any] = {"source": {"content_hash"}, "is_update": True}


class Seen(StrEnum):
    """What the ledger says about a record: never seen, seen with other content, or seen exactly so."""

    NEW = "new"
    UPDATE = "update"
    DUPLICATE = "duplicate"


def content_hash(record: BaseModel) -> str:
    return hashlib.sha256(record.model_dump_json(exclude=_NOT_CONTENT).encode()).hexdigest()


def seen(previous_hash: str | None, current_hash: str) -> Seen:
    if previous_hash is None:
        return Seen.NEW
    return Seen.DUPLICATE if previous_hash == current_hash else Seen.UPDATE


def stamped(record: M, *, digest: str, is_update: bool) -> M:
    """The record with its content hash (in `source`) and, for records that have one, its `is_update` flag."""
    # Field names from the class: a missing attribute on a pydantic model costs an exception (ANPR reads have
    # neither field, and this runs for every one).
    fields = type(record).model_fields
    changes: dict[str, Any] = {}
    source = record.source if "source" in fields else None  # type: ignore[attr-defined]
    if isinstance(source, SourceRecordRef):
        changes["source"] = source.model_copy(update={"content_hash": digest})
    if "is_update" in fields:
        changes["is_update"] = is_update
    return record.model_copy(update=changes) if changes else record
