"""From a file to events, losing nothing and publishing nothing twice.

1. `receive`: the file is streamed into the blob store (SHA-256 on the way) and its batch row committed
   before anything is parsed, so a file the service has answered 202 for survives a crash.
2. `BatchProcessor.process`: the adapter reads the stored blob; its outcomes are taken in chunks, and each
   chunk is one transaction: its rejects, its ledger rows, its events (outbox) and the batch's counts. A
   chunk is committed whole or not at all, so `read = accepted + rejected + duplicate` holds after every
   commit, and `read` is exactly the number of outcomes already durable. A batch taken over after a crash
   (see `Intake`) re-reads the blob and skips those first `read` outcomes: the half-processed chunk that
   died with the process was rolled back, so its records are processed again, once.
3. A record whose processing raises (hashing, building its event) becomes a reject with the reason, never a
   failed request or batch; a file the adapter cannot read at all (FileUnreadable) fails its batch with the
   adapter's reason. Database and blob store errors are not the record's fault: they leave the batch
   claimed, and it is retried from its last chunk when the claim lapses.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import uuid
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

from sqlalchemy.exc import IntegrityError

from precise_chassis.blob import BlobStore
from precise_chassis.blob.port import BlobError, BlobExists, BlobInfo, BlobNotFound, validate_key
from precise_chassis.runtime import ServiceRuntime
from precise_contracts.envelope import Event
from precise_ingest.adapters.anpr import AnprAdapter
from precise_ingest.adapters.mappings import MappingRegistry
from precise_ingest.adapters.port import FileUnreadable, Outcome, Parsed, Rejected, SourceAdapter
from precise_ingest.adapters.registry import ADAPTERS, AdapterFactory, AdapterUnavailable, adapter_for
from precise_ingest.blobfile import blob_file
from precise_ingest.fingerprint import Seen, content_hash, seen, stamped
from precise_ingest.settings import IngestSettings
from precise_ingest.store import (
    Batch,
    BatchStatus,
    Counts,
    LedgerEntry,
    RejectRow,
    add_batch,
    add_counts,
    add_rejects,
    claim_batch,
    finish_batch,
    get_batch,
    ledger_hashes,
    record_in_ledger,
)

log = logging.getLogger(__name__)

MAX_REASON = 2000
MAX_FIELD = 100
LEDGER_RACE_RETRIES = 3


@dataclass(frozen=True)
class Upload:
    """A file on its way in: which source it is from and who sent it."""

    source: str
    mapping: str | None
    filename: str | None
    submitted_by: str


def ledger_source(source: str, mapping: str | None) -> str:
    """Record ids are unique per source, and per legacy system (mapping) for legacy exports."""
    return f"{source}/{mapping}" if mapping else source


async def receive(runtime: ServiceRuntime, blobs: BlobStore, upload: Upload, content: AsyncIterable[bytes]) -> Batch:
    """Store the file and commit its batch row; the caller then schedules it for processing."""
    batch_id, stored = await store_file(blobs, upload.source, content)
    return await record_batch(runtime, batch_id, stored, upload)


async def store_file(blobs: BlobStore, source: str, content: AsyncIterable[bytes]) -> tuple[str, BlobInfo]:
    """Stream the file into the blob store under a new batch id. Blob first: a failed commit of the batch row
    leaves an unreferenced blob, never a batch pointing at nothing."""
    batch_id = uuid.uuid4().hex
    stored = await blobs.put(f"batches/{batch_id}/original", content, metadata={"source": source})
    return batch_id, stored


async def record_batch(runtime: ServiceRuntime, batch_id: str, stored: BlobInfo, upload: Upload) -> Batch:
    batch = Batch(
        batch_id=batch_id,
        source=upload.source,
        mapping=upload.mapping,
        filename=upload.filename[:255] if upload.filename else None,
        blob_key=stored.key,
        blob_sha256=stored.sha256,
        size=stored.size,
        submitted_by=upload.submitted_by[:200],
        status=BatchStatus.RECEIVED,
        failure_reason=None,
        counts=Counts(),
        received_at=datetime.now(UTC),
        started_at=None,
        finished_at=None,
    )
    async with runtime.unit_of_work() as uow:
        await add_batch(uow.session, batch)
    return batch


class _LeaseLost(Exception):
    """Another process took the batch over (this one stalled past its lease): stop without writing."""


@dataclass(frozen=True)
class _Prepared:
    """A chunk of outcomes as the worker thread hands it over: its parsed records hashed, its rejects shaped."""

    read: int
    hashed: list[tuple[Parsed, str]]
    rejects: list[RejectRow]


@dataclass(frozen=True)
class _Chunk:
    """One chunk's decisions, ready to write."""

    published: list[Parsed]
    ledger: list[LedgerEntry]
    rejects: list[RejectRow]
    events: list[Event]
    duplicates: int


class BatchProcessor:
    """Processes one batch at a time for one service runtime; `processor` identifies this process's claims."""

    def __init__(
        self,
        runtime: ServiceRuntime,
        blobs: BlobStore,
        settings: IngestSettings,
        adapters: Mapping[str, AdapterFactory] = ADAPTERS,
    ) -> None:
        self.runtime = runtime
        self.blobs = blobs
        self.settings = settings
        self.adapters = adapters
        self.processor = uuid.uuid4().hex

    def _lease(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.settings.lease_seconds)

    async def process(self, batch_id: str) -> None:
        now = datetime.now(UTC)
        async with self.runtime.unit_of_work() as uow:
            if not await claim_batch(uow.session, batch_id, processor=self.processor, now=now, until=self._lease(now)):
                return
            batch = await get_batch(uow.session, batch_id)
        if batch is None:
            return
        try:
            adapter = adapter_for(batch.source, self.adapters)
        except (LookupError, AdapterUnavailable) as exc:
            await self._finish(batch, BatchStatus.FAILED, str(exc))
            return
        try:
            await self._read(batch, adapter)
        except _LeaseLost:
            log.warning("batch %s was taken over by another process", batch.batch_id)
        except FileUnreadable as exc:
            await self._finish(batch, BatchStatus.FAILED, f"the file cannot be read as {batch.source}: {exc}")
        except BlobNotFound:
            await self._finish(batch, BatchStatus.FAILED, f"the stored file {batch.blob_key} is missing")
        else:
            await self._finish(batch, BatchStatus.COMPLETED, None)

    async def _read(self, batch: Batch, adapter: SourceAdapter) -> None:
        loop = asyncio.get_running_loop()
        blocks = self.blobs.get(batch.blob_key)
        options: dict[str, object] = {}
        if batch.mapping:
            stored = await MappingRegistry(self.blobs).get(batch.mapping)
            if stored is None:
                raise FileUnreadable(f"there is no mapping named {batch.mapping!r} (see GET /ingest/v1/mappings)")
            options["mapping"] = stored.mapping
        try:
            with blob_file(blocks, loop) as data:
                # outcomes committed before a crash are skipped: chunks commit with their counts
                outcomes = itertools.islice(_in_worker(adapter, data, options), batch.counts.read, None)
                size = self._chunk_size(batch.source)
                # the next chunk is read and hashed in the worker thread while this one commits
                ahead = asyncio.ensure_future(_next_chunk(outcomes, size, batch.source))
                try:
                    while (chunk := await ahead).read:
                        ahead = asyncio.ensure_future(_next_chunk(outcomes, size, batch.source))
                        await self._commit(batch, adapter, chunk)
                finally:
                    # the worker thread reads the blob file: let it stop before the file closes
                    await asyncio.gather(ahead, return_exceptions=True)
        finally:
            if isinstance(blocks, AsyncGenerator):
                await blocks.aclose()

    def _chunk_size(self, source: str) -> int:
        return self.settings.anpr_chunk_records if source == AnprAdapter.source else self.settings.chunk_records

    async def _commit(self, batch: Batch, adapter: SourceAdapter, prepared: _Prepared) -> None:
        source = ledger_source(batch.source, batch.mapping)
        hashed, rejects = prepared.hashed, prepared.rejects
        for _attempt in range(LEDGER_RACE_RETRIES):
            try:
                async with self.runtime.unit_of_work() as uow:
                    known = await ledger_hashes(uow.session, source, (parsed.record_id for parsed, _ in hashed))
                    chunk = _decide(hashed, known, adapter, rejects)
                    await self._store_attachments(chunk)
                    for event in chunk.events:
                        uow.publish(event)
                    now = datetime.now(UTC)
                    await add_rejects(uow.session, batch.batch_id, chunk.rejects)
                    await record_in_ledger(uow.session, source, chunk.ledger, batch_id=batch.batch_id, now=now)
                    counts = Counts(prepared.read, len(chunk.published), len(chunk.rejects), chunk.duplicates)
                    if not await add_counts(
                        uow.session, batch.batch_id, counts, processor=self.processor, until=self._lease(now)
                    ):
                        raise _LeaseLost
                return
            except IntegrityError:
                # another batch recorded one of these records meanwhile: read the ledger again
                log.info("ledger race in batch %s; retrying the chunk", batch.batch_id)
        raise RuntimeError(f"batch {batch.batch_id}: the ledger kept changing under a chunk")

    async def _store_attachments(self, chunk: _Chunk) -> None:
        for parsed in chunk.published:
            for key, content in parsed.attachments.items():
                if await self.blobs.head(key) is None:
                    # content-addressed: whoever stored it first stored the same bytes
                    with contextlib.suppress(BlobExists):
                        await self.blobs.put(key, _once(content))

    async def _finish(self, batch: Batch, status: BatchStatus, reason: str | None) -> None:
        async with self.runtime.unit_of_work() as uow:
            await finish_batch(
                uow.session,
                batch.batch_id,
                status,
                processor=self.processor,
                now=datetime.now(UTC),
                reason=reason[:MAX_REASON] if reason else None,
            )
        if reason:
            log.warning("batch %s (%s) failed: %s", batch.batch_id, batch.source, reason)


def _decide(
    hashed: Sequence[tuple[Parsed, str]], known: Mapping[str, str], adapter: SourceAdapter, rejects: list[RejectRow]
) -> _Chunk:
    """Which records are new, changed or duplicates, and the events for the new and changed ones."""
    latest = dict(known)
    candidates: list[tuple[Parsed, LedgerEntry]] = []
    duplicates = 0
    rejected = list(rejects)
    for parsed, digest in hashed:
        verdict = seen(latest.get(parsed.record_id), digest)
        if verdict is Seen.DUPLICATE:
            duplicates += 1
            continue
        try:
            for key in parsed.attachments:
                validate_key(key)
            record = stamped(parsed.record, digest=digest, is_update=verdict is Seen.UPDATE)
        except Exception as exc:
            rejected.append(_failed(parsed, exc))
            continue
        entry = LedgerEntry(parsed.record_id, digest, is_new=parsed.record_id not in known)
        candidates.append((parsed if record is parsed.record else replace(parsed, record=record), entry))
        latest[parsed.record_id] = digest
    published, events = _events(adapter, candidates, rejected)
    kept = {id(parsed) for parsed in published}
    ledger = [entry for parsed, entry in candidates if id(parsed) in kept]
    return _Chunk(published, _last_per_record(ledger), rejected, events, duplicates)


def _events(
    adapter: SourceAdapter, candidates: Sequence[tuple[Parsed, LedgerEntry]], rejected: list[RejectRow]
) -> tuple[list[Parsed], list[Event]]:
    parsed = [p for p, _ in candidates]
    try:
        return parsed, list(adapter.events(parsed))
    except Exception:
        log.warning("building events for a chunk failed; building them record by record", exc_info=True)
    published: list[Parsed] = []
    events: list[Event] = []
    for one in parsed:
        try:
            events.extend(adapter.events([one]))
        except Exception as exc:
            rejected.append(_failed(one, exc))
        else:
            published.append(one)
    return published, events


def _last_per_record(entries: Sequence[LedgerEntry]) -> list[LedgerEntry]:
    """One ledger write per record: a record changed twice in one chunk ends with its last content."""
    last: dict[str, LedgerEntry] = {}
    for entry in entries:
        first = last.get(entry.record_id)
        last[entry.record_id] = entry if first is None else replace(entry, is_new=first.is_new)
    return list(last.values())


async def _next_chunk(outcomes: Iterator[Outcome], size: int, source: str) -> _Prepared:
    """The next outcomes, read and hashed off the event loop (parsing and hashing are CPU work and the blob file
    blocks), so the loop is left with the chunk's I/O."""
    try:
        return await asyncio.to_thread(lambda: _prepare(list(itertools.islice(outcomes, size))))
    except (FileUnreadable, BlobError):
        raise
    except Exception as exc:
        # the adapter's reader itself broke: a generator cannot go on after raising, so the file fails
        log.exception("the %s adapter stopped reading", source)
        raise FileUnreadable(f"the {source} adapter stopped with {type(exc).__name__}: {exc}") from exc


def _prepare(outcomes: Sequence[Outcome]) -> _Prepared:
    hashed: list[tuple[Parsed, str]] = []
    rejects: list[RejectRow] = []
    for outcome in outcomes:
        if isinstance(outcome, Rejected):
            rejects.append(_reject(outcome.origin.line, outcome.origin.raw, outcome.field, outcome.reason))
            continue
        try:
            hashed.append((outcome, content_hash(outcome.record)))
        except Exception as exc:
            rejects.append(_failed(outcome, exc))
    return _Prepared(len(outcomes), hashed, rejects)


def _reject(line: int, raw: bytes, field: str | None, reason: str) -> RejectRow:
    return RejectRow(line=line, field=field[:MAX_FIELD] if field else None, reason=reason[:MAX_REASON], original=raw)


def _failed(parsed: Parsed, exc: Exception) -> RejectRow:
    log.warning("record %s at line %d could not be processed", parsed.record_id, parsed.origin.line, exc_info=exc)
    return _reject(parsed.origin.line, parsed.origin.raw, None, f"could not be processed: {type(exc).__name__}: {exc}")


async def _once(content: bytes) -> AsyncIterator[bytes]:
    yield content


def _in_worker(adapter: SourceAdapter, data: BinaryIO, options: Mapping[str, object]) -> Iterator[Outcome]:
    # A generator: nothing of adapter.read runs until the worker thread asks for the first record, because
    # reading the stored blob needs this event loop free (an adapter may read ahead as soon as it is called).
    yield from adapter.read(data, options=options)
