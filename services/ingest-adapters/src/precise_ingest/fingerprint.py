"""A record's content hash and its provenance stamp: what makes ingesting idempotent.

The hash is the SHA-256 of the record's canonical JSON (keys sorted, no spaces) without the fields that are
about the ingest rather than the record (`content_hash`, `is_update`), so the same source content always
gives the same hash, whichever batch it arrives in.
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel

from precise_contracts.events.ingest import SourceRecordRef

M = TypeVar("M", bound=BaseModel)
_NOT_CONTENT = frozenset({"content_hash", "is_update"})


class Seen(StrEnum):
    """What the ledger says about a record: never seen, seen with other content, or seen exactly so."""

    NEW = "new"
    UPDATE = "update"
    DUPLICATE = "duplicate"


def content_hash(record: BaseModel) -> str:
    canonical = json.dumps(
        _content(record.model_dump(mode="json")), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def seen(previous_hash: str | None, current_hash: str) -> Seen:
    if previous_hash is None:
        return Seen.NEW
    return Seen.DUPLICATE if previous_hash == current_hash else Seen.UPDATE


def stamped(record: M, *, digest: str, is_update: bool) -> M:
    """The record with its content hash (in `source`) and, for records that have one, its `is_update` flag."""
    changes: dict[str, Any] = {}
    source = getattr(record, "source", None)
    if isinstance(source, SourceRecordRef):
        changes["source"] = source.model_copy(update={"content_hash": digest})
    if "is_update" in type(record).model_fields:
        changes["is_update"] = is_update
    return record.model_copy(update=changes) if changes else record


def _content(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _content(item) for key, item in value.items() if key not in _NOT_CONTENT}
    if isinstance(value, list):
        return [_content(item) for item in value]
    return value
