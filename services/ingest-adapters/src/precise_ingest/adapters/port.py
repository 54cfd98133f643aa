"""What every source adapter does: read a file as a stream of records, each either a canonical record or
a rejection with the original bytes, its place in the file and the reason. One bad record never stops the
good ones beside it; a file that cannot be read at all raises FileUnreadable.

Most adapters read a record at a time (`SourceAdapter`); the pipeline takes their outcomes in chunks. ANPR,
the high-volume source, reads a chunk at a time itself (`ChunkedAdapter`), as columns, never building an object
per read. Either way the pipeline sees `Chunk`s: what it commits in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Protocol, runtime_checkable

from pydantic import BaseModel

from precise_contracts.envelope import Event, SerialisedEvent
from precise_ingest.fingerprint import Seen

# What an adapter puts in `source.content_hash` of the record it builds: the pipeline replaces it with the
# SHA-256 of the record's canonical form (and sets `is_update` from the ledger) before publishing.
PENDING_HASH = "0" * 64


class FileUnreadable(Exception):
    """The file as a whole cannot be parsed (wrong format, truncated header, undecodable): its batch fails."""


@dataclass(frozen=True)
class Origin:
    """Where a record came from: its first line (1-based; record number for binary formats) and its bytes."""

    line: int
    raw: bytes


@dataclass(frozen=True)
class Parsed:
    """A record the adapter understood: its source record id and its canonical form."""

    origin: Origin
    record_id: str
    record: BaseModel  # e.g. PersonRecordObserved, or a VehicleSighting for ANPR (batched into events)
    # bytes the record refers to by hash (IDENT1 images), by blob key (the key of the record's BlobRef, in
    # ingest-adapters' container): the pipeline stores each one (once) before publishing
    attachments: Mapping[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class Rejected:
    """A record the adapter could not accept: quarantined with its bytes, the field at fault and why."""

    origin: Origin
    reason: str
    field: str | None = None


Outcome = Parsed | Rejected


class SourceAdapter(Protocol):
    """Reads one source's export format."""

    source: str  # "pnc", "anpr", "ident1", "legacy"

    def read(self, data: BinaryIO, *, options: Mapping[str, Any]) -> Iterator[Outcome]:
        """Yield an outcome per record, in file order; raise FileUnreadable if the file cannot be read at all.

        `options` carries per-upload settings (e.g. the legacy mapping name and its loaded mapping).
        """
        ...

    def events(self, accepted: Iterable[Parsed]) -> Iterator[Event]:
        """The canonical events for the accepted (new or changed) records, e.g. ANPR reads batched by 200."""
        ...


@dataclass(frozen=True)
class Publication:
    """What a chunk publishes once the ledger has judged its records: the events as their JSON, made with the
    chunk (in the process that read it) and written to the outbox as they are."""

    events: list[SerialisedEvent]
    published: list[int]  # positions of the accepted records the events carry
    rejects: list[Rejected]  # accepted records whose event could not be built
    attachments: Mapping[str, bytes] = field(default_factory=dict)  # blob key -> bytes the events refer to


class ReadChunk(Protocol):
    """Consecutive records of a file: how many were read, the rejected ones, and the accepted ones' ids and
    content hashes, position by position."""

    @property
    def read(self) -> int: ...

    @property
    def rejects(self) -> Sequence[Rejected]: ...

    @property
    def record_ids(self) -> Sequence[str]: ...

    @property
    def digests(self) -> Sequence[str]: ...


class Chunk(ReadChunk, Protocol):
    """A chunk as its adapter read it, in the process that holds it: it builds its own events."""

    def publish(self, verdicts: Sequence[Seen]) -> Publication:
        """The events for the records whose verdict (one per position) is NEW or UPDATE."""
        ...


@runtime_checkable
class ChunkedAdapter(Protocol):
    """An adapter that reads a file a chunk at a time itself."""

    source: str

    def read_chunks(self, data: BinaryIO, *, options: Mapping[str, Any], size: int, skip: int) -> Iterator[Chunk]:
        """Chunks of up to `size` records after the first `skip` records, read lazily (nothing runs before the
        first chunk is asked for); FileUnreadable if the file cannot be read at all."""
        ...
