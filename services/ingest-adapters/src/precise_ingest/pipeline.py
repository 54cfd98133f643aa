"""From a file to events, losing nothing and publishing nothing twice.

1. `receive`: the file is streamed into the blob store (SHA-256 on the way) and its batch row committed
   before anything is parsed, so a file the service has answered 202 for survives a crash.
2. `BatchProcessor.process`: the stored blob is read in chunks by a `ChunkReader` (parsed and hashed in a
   worker thread or, for a big file, a process of its own; the next while this one commits), and each chunk is
   one transaction: its ledger entries, its rejects, its events (outbox) and the batch's counts. A chunk is
   committed whole or not at all, so `read = accepted + rejected + duplicate` holds after every commit, and
   `read` is exactly the number of records already durable. A batch taken over after a crash (see `Intake`)
   re-reads the blob and skips those first `read` records: the half-processed chunk that died with the process
   was rolled back, so its records are processed again, once.
3. A record whose processing raises (hashing, building its event) becomes a reject with the reason, never a
   failed request or batch; a file the adapter cannot read at all (FileUnreadable) fails its batch with the
   adapter's reason. Database, blob store and reader process errors are not the record's fault: they leave the
   batch claimed, and it is retried from its last chunk when the claim lapses.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from precise_chassis.blob import BlobStore
from precise_chassis.blob.port import BlobError, BlobExists, BlobInfo, BlobNotFound
from precise_chassis.runtime import ServiceRuntime
from precise_ingest.adapters.mappings import MappingRegistry
from precise_ingest.adapters.port import ChunkedAdapter, FileUnreadable, Publication, ReadChunk, Rejected, SourceAdapter
from precise_ingest.adapters.registry import ADAPTERS, AdapterFactory, AdapterUnavailable, adapter_for
from precise_ingest.chunks import records_per_chunk
from precise_ingest.fingerprint import Seen, seen
from precise_ingest.metrics import ingest_metrics_of
from precise_ingest.readers import C, ChunkReader, open_reader
from precise_ingest.settings import IngestSettings
from precise_ingest.store import (
    Batch,
    BatchStatus,
    Counts,
    RejectRow,
    add_batch,
    add_counts,
    add_rejects,
    add_stall,
    claim_batch,
    enter_in_ledger,
    finish_batch,
    get_batch,
    ledger_hashes,
    settle_in_ledger,
)

log = logging.getLogger(__name__)

MAX_REASON = 2000
MAX_FIELD = 100


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
        filename=_storable(upload.filename)[:255] if upload.filename else None,  # a dropped file's name too
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


@dataclass
class _Commit:
    """A chunk whose transaction is under way."""

    record_ids: Sequence[str]
    task: asyncio.Task[None]


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
        self.metrics = ingest_metrics_of(runtime)

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
        processing = self.metrics.processing.labels(batch.source)
        processing.inc()
        try:
            await self._read(batch, adapter)
        except _LeaseLost:
            log.warning("batch %s was taken over by another process", batch.batch_id)
        except FileUnreadable as exc:
            await self._finish(batch, BatchStatus.FAILED, f"the file cannot be read as {batch.source}: {exc}")
        except BlobNotFound:
            await self._finish(batch, BatchStatus.FAILED, f"the stored file {batch.blob_key} is missing")
        except BlobError:
            raise  # the blob store's trouble, not the file's: the claim lapses and the batch is retried
        except Exception as exc:
            if not await self._stalled(batch, exc):
                raise
        else:
            await self._finish(batch, BatchStatus.COMPLETED, None)
        finally:
            processing.dec()

    async def _stalled(self, batch: Batch, error: Exception) -> bool:
        """Count an attempt that stopped on an unexpected error before committing a chunk; whether that made
        `max_stalls` in a row, so the batch failed with the error as its reason: a file that stops its batch the
        same way every time would otherwise be retried for ever (ADR 0014)."""
        try:
            async with self.runtime.unit_of_work() as uow:
                stalls = await add_stall(uow.session, batch.batch_id, processor=self.processor)
                current = await get_batch(uow.session, batch.batch_id)
        except Exception:
            log.exception("the stop of batch %s could not be counted", batch.batch_id)
            return False
        if stalls is None or current is None or stalls < self.settings.max_stalls:
            return False
        reason = f"stopped {stalls} times in a row after record {current.counts.read}, each time before committing"
        await self._finish(batch, BatchStatus.FAILED, f"{reason} more: {type(error).__name__}: {error}")
        return True

    async def _read(self, batch: Batch, adapter: SourceAdapter | ChunkedAdapter) -> None:
        blocks = self.blobs.get(batch.blob_key)
        options: dict[str, object] = {}
        if batch.mapping:
            stored = await MappingRegistry(self.blobs).get(batch.mapping)
            if stored is None:
                raise FileUnreadable(f"there is no mapping named {batch.mapping!r} (see GET /ingest/v1/mappings)")
            options["mapping"] = stored.mapping
        try:
            # records committed before a crash are skipped: chunks commit with their counts
            reader = await open_reader(
                adapter,
                blocks,
                options=options,
                size=records_per_chunk(adapter, self.settings),
                skip=batch.counts.read,
                file_bytes=batch.size,
                apart=batch.size >= self.settings.read_apart_bytes,
            )
            try:
                await self._commit_chunks(batch, reader)
            finally:
                await reader.close()
        finally:
            if isinstance(blocks, AsyncGenerator):
                await blocks.aclose()

    async def _commit_chunks(self, batch: Batch, reader: ChunkReader[Any]) -> None:
        # the next chunk is read while earlier ones commit
        ahead = asyncio.ensure_future(reader.next())
        committing: deque[_Commit] = deque()
        try:
            while (chunk := await ahead) is not None:
                ahead = asyncio.ensure_future(reader.next())
                if len(committing) == 2:  # at most two transactions: the one finishing, the one entering
                    await committing.popleft().task
                committing.append(await self._begin(batch, reader, chunk, committing[-1] if committing else None))
            while committing:
                await committing.popleft().task
        finally:
            for commit in committing:
                commit.task.cancel()  # its transaction rolls back; the batch resumes after the last commit
            # the reader may still be reading: let it stop before it is closed
            await asyncio.gather(ahead, *(commit.task for commit in committing), return_exceptions=True)

    async def _begin(self, batch: Batch, reader: ChunkReader[C], chunk: C, previous: _Commit | None) -> _Commit:
        """Start committing the chunk; return once it has entered the ledger, so the next chunk may enter too."""
        entered = asyncio.Event()
        task = asyncio.create_task(self._commit(batch, reader, chunk, entered, previous))
        waiting = asyncio.create_task(entered.wait())
        await asyncio.wait({task, waiting}, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        if task.done():
            task.result()  # the chunk failed before entering the ledger: say why now
        return _Commit(chunk.record_ids, task)

    async def _commit(
        self, batch: Batch, reader: ChunkReader[C], chunk: C, entered: asyncio.Event, previous: _Commit | None
    ) -> None:
        """One chunk in one transaction. Entering the ledger (most of a chunk's database time) overlaps the
        previous chunk's commit; everything after waits for it, so chunks commit in file order and a failed
        chunk takes the next one down with it, which keeps `read` the count of records durable."""
        source = ledger_source(batch.source, batch.mapping)
        async with self.runtime.unit_of_work() as uow:
            now = datetime.now(UTC)
            records = list(zip(chunk.record_ids, chunk.digests, strict=True))
            known = await enter_in_ledger(uow.session, source, records, batch_id=batch.batch_id, now=now)
            entered.set()
            if previous is not None:
                await previous.task
                # what the previous chunk changed of records this one holds, it changed after they were read
                shared = known.keys() & set(previous.record_ids) if known else set()
                if shared:
                    known.update(await ledger_hashes(uow.session, source, shared))
            verdicts = _verdicts(chunk, known)
            publication = await reader.publication(chunk, verdicts)
            await self._store_attachments(publication)
            for event in publication.events:
                uow.publish(event)
            rejects = [_quarantined(r) for r in (*chunk.rejects, *publication.rejects)]
            await add_rejects(uow.session, batch.batch_id, rejects)
            changed, withdrawn = _settlement(chunk, publication, known)
            await settle_in_ledger(
                uow.session, source, changed=changed, withdrawn=withdrawn, batch_id=batch.batch_id, now=now
            )
            duplicates = verdicts.count(Seen.DUPLICATE)
            counts = Counts(chunk.read, len(publication.published), len(rejects), duplicates)
            if not await add_counts(
                uow.session, batch.batch_id, counts, processor=self.processor, until=self._lease(now)
            ):
                raise _LeaseLost
        self.metrics.committed(batch.source, counts)

    async def _store_attachments(self, publication: Publication) -> None:
        for key, content in publication.attachments.items():
            if await self.blobs.head(key) is None:
                # content-addressed: whoever stored it first stored the same bytes
                with contextlib.suppress(BlobExists):
                    await self.blobs.put(key, _once(content))

    async def _finish(self, batch: Batch, status: BatchStatus, reason: str | None) -> None:
        now = datetime.now(UTC)
        async with self.runtime.unit_of_work() as uow:
            await finish_batch(
                uow.session,
                batch.batch_id,
                status,
                processor=self.processor,
                now=now,
                reason=_storable(reason)[:MAX_REASON] if reason else None,
            )
        started = batch.started_at
        self.metrics.finished(batch.source, status, (now - started).total_seconds() if started else None)
        if reason:
            log.warning("batch %s (%s) failed: %s", batch.batch_id, batch.source, reason)


def _verdicts(chunk: ReadChunk, known: Mapping[str, str]) -> list[Seen]:
    """Each accepted record judged against the ledger and against the same record earlier in the chunk."""
    record_ids = chunk.record_ids
    if not known and len(set(record_ids)) == len(record_ids):
        return [Seen.NEW] * len(record_ids)  # nothing seen before, nothing twice: a new file of reads
    latest = dict(known)
    verdicts: list[Seen] = []
    for record_id, digest in zip(record_ids, chunk.digests, strict=True):
        verdict = seen(latest.get(record_id), digest)
        verdicts.append(verdict)
        latest[record_id] = digest
    return verdicts


def _settlement(
    chunk: ReadChunk, publication: Publication, known: Mapping[str, str]
) -> tuple[list[tuple[str, str]], list[str]]:
    """What the ledger must still learn once the chunk is published: the last published content of each record
    whose entry holds other content, and the records entered for this chunk that were not published at all."""
    record_ids, digests = chunk.record_ids, chunk.digests
    if not known and not publication.rejects and len(publication.published) == len(set(record_ids)):
        return [], []  # every record new, once, and published: the ledger already holds what it entered
    entered: dict[str, str] = {}  # records new to the ledger -> the content they were entered with (their first)
    for record_id, digest in zip(record_ids, digests, strict=True):
        if record_id not in known:
            entered.setdefault(record_id, digest)
    last = {record_id: digest for record_id, digest in ((record_ids[p], digests[p]) for p in publication.published)}
    changed = [
        (record_id, digest)
        for record_id, digest in last.items()
        if digest != entered.get(record_id, known.get(record_id))
    ]
    withdrawn = [record_id for record_id in entered if record_id not in last]
    return changed, withdrawn


def _quarantined(rejected: Rejected) -> RejectRow:
    field, reason = rejected.field, rejected.reason
    return RejectRow(
        line=rejected.origin.line,
        field=_storable(field)[:MAX_FIELD] if field else None,
        reason=_storable(reason)[:MAX_REASON],
        original=rejected.origin.raw,
    )


def _storable(text: str) -> str:
    """The text with any NUL written as an escape: PostgreSQL's text holds every character but that one, and a
    reason may quote what the file held. Escape before cutting to a column's width: the escape is longer."""
    return text.replace("\x00", "\\x00")


async def _once(content: bytes) -> AsyncIterator[bytes]:
    yield content
