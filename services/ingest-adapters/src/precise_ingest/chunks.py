"""Records read one at a time (PNC, IDENT1, legacy), taken in chunks for the pipeline: each parsed record
hashed in the worker thread with the parsing, and its event built, stamped with the ledger's verdict, when the
chunk is published."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, BinaryIO

from precise_chassis.blob.port import BlobError, validate_key
from precise_contracts.envelope import SerialisedEvent
from precise_ingest.adapters.port import (
    Chunk,
    ChunkedAdapter,
    FileUnreadable,
    Outcome,
    Parsed,
    Publication,
    Rejected,
    SourceAdapter,
)
from precise_ingest.fingerprint import Seen, content_hash, stamped
from precise_ingest.settings import IngestSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordChunk:
    """A chunk of records read one at a time: each accepted record is a `Parsed` with its canonical model."""

    adapter: SourceAdapter
    read: int
    rejects: list[Rejected]
    parsed: list[Parsed]
    digests: list[str]

    @property
    def record_ids(self) -> list[str]:
        return [parsed.record_id for parsed in self.parsed]

    def publish(self, verdicts: Sequence[Seen]) -> Publication:
        candidates: list[tuple[int, Parsed]] = []
        rejected: list[Rejected] = []
        for position, (parsed, digest, verdict) in enumerate(zip(self.parsed, self.digests, verdicts, strict=True)):
            if verdict is Seen.DUPLICATE:
                continue
            try:
                for key in parsed.attachments:
                    validate_key(key)
                record = stamped(parsed.record, digest=digest, is_update=verdict is Seen.UPDATE)
            except Exception as exc:
                rejected.append(_failed(parsed, exc))
                continue
            candidates.append((position, parsed if record is parsed.record else replace(parsed, record=record)))
        published, events = self._events(candidates, rejected)
        attachments = {key: content for _, parsed in published for key, content in parsed.attachments.items()}
        return Publication(events, [position for position, _ in published], rejected, attachments)

    def _events(
        self, candidates: list[tuple[int, Parsed]], rejected: list[Rejected]
    ) -> tuple[list[tuple[int, Parsed]], list[SerialisedEvent]]:
        try:
            return candidates, list(map(SerialisedEvent.of, self.adapter.events(parsed for _, parsed in candidates)))
        except Exception:
            log.warning("building events for a chunk failed; building them record by record", exc_info=True)
        published: list[tuple[int, Parsed]] = []
        events: list[SerialisedEvent] = []
        for candidate in candidates:
            try:
                events.extend(map(SerialisedEvent.of, self.adapter.events([candidate[1]])))
            except Exception as exc:
                rejected.append(_failed(candidate[1], exc))
            else:
                published.append(candidate)
        return published, events


def records_per_chunk(adapter: SourceAdapter | ChunkedAdapter, settings: IngestSettings) -> int:
    """ANPR, read a chunk at a time as columns, commits bigger chunks than the adapters read record by record."""
    return settings.anpr_chunk_records if isinstance(adapter, ChunkedAdapter) else settings.chunk_records


def chunks_of(
    adapter: SourceAdapter | ChunkedAdapter, data: BinaryIO, *, options: Mapping[str, Any], size: int, skip: int
) -> Iterator[Chunk]:
    """A file as the chunks the pipeline commits, whichever kind of adapter reads it."""
    if isinstance(adapter, ChunkedAdapter):
        return adapter.read_chunks(data, options=options, size=size, skip=skip)
    return record_chunks(adapter, data, options=options, size=size, skip=skip)


def next_chunk(chunks: Iterator[Chunk], source: str) -> Chunk | None:
    """The next chunk, None after the last. An adapter whose reader itself broke cannot go on (a generator
    that raised is finished), so the file is unreadable, with what broke as the reason."""
    try:
        return next(chunks, None)
    except (FileUnreadable, BlobError):
        raise
    except Exception as exc:
        log.exception("the %s adapter stopped reading", source)
        raise FileUnreadable(f"the {source} adapter stopped with {type(exc).__name__}: {exc}") from exc


def record_chunks(
    adapter: SourceAdapter, data: BinaryIO, *, options: Mapping[str, Any], size: int, skip: int
) -> Iterator[RecordChunk]:
    """An adapter's records, `size` at a time, each parsed record hashed (the hash is CPU work: it runs here, in
    the worker thread, with the parsing)."""
    outcomes = itertools.islice(adapter.read(data, options=options), skip, None)
    while batch := list(itertools.islice(outcomes, size)):
        yield _prepared(adapter, batch)


def _prepared(adapter: SourceAdapter, outcomes: Sequence[Outcome]) -> RecordChunk:
    parsed: list[Parsed] = []
    digests: list[str] = []
    rejects: list[Rejected] = []
    for outcome in outcomes:
        if isinstance(outcome, Rejected):
            rejects.append(outcome)
            continue
        try:
            digests.append(content_hash(outcome.record))
        except Exception as exc:
            rejects.append(_failed(outcome, exc))
        else:
            parsed.append(outcome)
    return RecordChunk(adapter, len(outcomes), rejects, parsed, digests)


def _failed(parsed: Parsed, exc: Exception) -> Rejected:
    log.warning("record %s at line %d could not be processed", parsed.record_id, parsed.origin.line, exc_info=exc)
    return Rejected(parsed.origin, f"could not be processed: {type(exc).__name__}: {exc}")
