"""The pipeline on PostgreSQL, where a chunk enters the ledger while the chunk before it commits: a read's
verdict still follows every version of it that came before, in this chunk, the last one, or another batch,
whether the file is read in a worker thread or in a process of its own."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from precise_ingest.adapters.port import Origin, Outcome, Parsed, Publication, Rejected
from precise_ingest.pipeline import BatchProcessor, Upload, receive
from precise_ingest.reader_process import PreparedChunk, ProcessReader, ReaderFailed
from precise_ingest.service import service
from precise_ingest.settings import IngestSettings
from precise_ingest.store import Batch, BatchStatus, Counts, get_batch, list_rejects
from precise_ingest.testing import ANPR_READ, published
from sqlalchemy import text

from precise_chassis.bus.memory import InMemoryBus
from precise_chassis.migrate import migrate
from precise_chassis.runtime import ServiceRuntime
from precise_chassis.settings import PlatformSettings, Profile
from precise_chassis.telemetry.metrics import PlatformMetrics
from precise_contracts.envelope import Event
from precise_contracts.events.ingest import VehicleSightingsBatched
from precise_contracts.registry import REGISTRY

pytestmark = pytest.mark.integration

READ = {name: value for name, value in ANPR_READ.items() if name != "read_id"}


@pytest.fixture
async def runtime(postgres_url: str, azurite_connection: str, tmp_path: Path) -> AsyncIterator[ServiceRuntime]:
    run = uuid.uuid4().hex[:8]
    settings = PlatformSettings(
        profile=Profile.LOCAL,
        database_url=postgres_url,
        schema_prefix=f"t_{run}_",
        blob_connection=azurite_connection,
        blob_container_prefix=f"t{run}-",
        data_dir=tmp_path,
    )
    runtime = ServiceRuntime(service, settings, REGISTRY, InMemoryBus(), PlatformMetrics())
    assert service.migrations is not None
    assert runtime.blobs is not None
    await migrate(runtime.db, [service.migrations])
    try:
        yield runtime
    finally:
        async with runtime.db.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{runtime.db.schema}" CASCADE'))
        await runtime.db.dispose()
        await runtime.blobs.close()


@pytest.fixture(params=["in a thread", "apart"])
def settings(request: pytest.FixtureRequest) -> IngestSettings:
    """Two reads to a chunk; the file read in a worker thread, or in a process of its own however small."""
    return IngestSettings(anpr_chunk_records=2, read_apart_bytes=0 if request.param == "apart" else 2**40)


async def stored(runtime: ServiceRuntime, reads: list[dict[str, Any]]) -> str:
    """The reads as one stored JSON-lines file: its batch id."""
    assert runtime.blobs is not None

    async def content() -> AsyncIterator[bytes]:
        yield "".join(json.dumps(read) + "\n" for read in reads).encode()

    upload = Upload(source="anpr", mapping=None, filename="reads.jsonl", submitted_by="test")
    return (await receive(runtime, runtime.blobs, upload, content())).batch_id


async def batch_of(runtime: ServiceRuntime, batch_id: str) -> Batch:
    async with runtime.unit_of_work() as uow:
        batch = await get_batch(uow.session, batch_id)
    assert batch is not None
    return batch


async def ingest(runtime: ServiceRuntime, settings: IngestSettings, reads: list[dict[str, Any]]) -> Counts:
    batch_id = await stored(runtime, reads)
    assert runtime.blobs is not None
    await BatchProcessor(runtime, runtime.blobs, settings).process(batch_id)
    done = await batch_of(runtime, batch_id)
    assert done.status is BatchStatus.COMPLETED, done
    return done.counts


async def sightings(runtime: ServiceRuntime) -> list[tuple[str, int | None, bool]]:
    """Every read published so far: its id, lane and whether it was sent as an update."""
    events = [
        VehicleSightingsBatched.model_validate(data) for data in await published(runtime, VehicleSightingsBatched.type)
    ]
    return [
        (s.read_id, s.lane, s.is_update)
        for data in events
        for s in VehicleSightingsBatched.model_validate(data).sightings()
    ]


async def test_a_corrected_read_sent_again_in_the_next_chunk_is_published_once_as_an_update(
    runtime: ServiceRuntime, settings: IngestSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert await ingest(runtime, settings, [{**READ, "read_id": "X", "lane": 1}]) == Counts(1, 1, 0, 0)
    # each chunk dawdles after publishing, so the next one enters the ledger before this one records the change
    storing = BatchProcessor._store_attachments

    async def slowly(self: BatchProcessor, publication: Publication) -> None:
        await asyncio.sleep(0.2)
        await storing(self, publication)

    monkeypatch.setattr(BatchProcessor, "_store_attachments", slowly)

    corrected = {**READ, "read_id": "X", "lane": 3}
    counts = await ingest(
        runtime,
        settings,
        [corrected, {**READ, "read_id": "A"}, corrected, {**READ, "read_id": "B"}, {**READ, "read_id": "X", "lane": 4}],
    )

    assert counts == Counts(read=5, accepted=4, rejected=0, duplicate=1)
    assert await sightings(runtime) == [
        ("X", 1, False),
        ("X", 3, True),
        ("A", 2, False),
        ("B", 2, False),
        ("X", 4, True),
    ]


async def test_a_read_whose_id_holds_a_nul_is_quarantined_and_the_reads_beside_it_go_on(
    runtime: ServiceRuntime, settings: IngestSettings
) -> None:
    # PostgreSQL holds no NUL in text: such an id, let through, failed its whole chunk on every retry
    reads = [{**READ, "read_id": "R1"}, {**READ, "read_id": "R\x002"}, {**READ, "read_id": "R3"}]
    batch_id = await stored(runtime, reads)
    assert runtime.blobs is not None
    await BatchProcessor(runtime, runtime.blobs, settings).process(batch_id)

    done = await batch_of(runtime, batch_id)
    assert (done.status, done.counts) == (BatchStatus.COMPLETED, Counts(3, 2, 1, 0))
    assert [read_id for read_id, _, _ in await sightings(runtime)] == ["R1", "R3"]
    async with runtime.unit_of_work() as uow:
        [(_, reject)] = await list_rejects(uow.session, batch_id, limit=10)
    assert (reject.line, reject.field) == (2, "read_id")
    assert "'R\\x002'" in reject.reason
    assert reject.original == (json.dumps(reads[1]) + "\n").encode()


class _QuotingAdapter:
    """A source whose reader quotes, in a reject's reason and field, a NUL the file held."""

    source = "pnc"

    def read(self, data: BinaryIO, *, options: Mapping[str, Any]) -> Iterator[Outcome]:
        for number, line in enumerate(data, start=1):
            field = "pnc\x00id" + "x" * 100  # as long as a field name may be stored, once escaped
            yield Rejected(Origin(number, line), f"value {line.decode().strip()} is not a PNC ID", field=field)

    def events(self, accepted: Iterable[Parsed]) -> Iterator[Event]:
        return iter(())


async def test_a_reject_whose_reason_quotes_a_nul_is_quarantined_with_it_escaped(runtime: ServiceRuntime) -> None:
    assert runtime.blobs is not None

    async def content() -> AsyncIterator[bytes]:
        yield b"98/12\x0034L\n"

    upload = Upload(source="pnc", mapping=None, filename="nominals.csv", submitted_by="test")
    batch_id = (await receive(runtime, runtime.blobs, upload, content())).batch_id
    await BatchProcessor(runtime, runtime.blobs, IngestSettings(), {"pnc": _QuotingAdapter}).process(batch_id)

    done = await batch_of(runtime, batch_id)
    assert (done.status, done.counts) == (BatchStatus.COMPLETED, Counts(1, 0, 1, 0))
    async with runtime.unit_of_work() as uow:
        [(_, reject)] = await list_rejects(uow.session, batch_id, limit=10)
    assert (reject.field, reject.reason) == (("pnc\\x00id" + "x" * 100)[:100], "value 98/12\\x0034L is not a PNC ID")
    assert reject.original == b"98/12\x0034L\n"


async def test_a_file_whose_name_holds_a_nul_is_recorded_with_it_escaped(runtime: ServiceRuntime) -> None:
    assert runtime.blobs is not None

    async def content() -> AsyncIterator[bytes]:
        yield json.dumps(READ).encode() + b"\n"

    upload = Upload(source="anpr", mapping=None, filename="reads\x00.jsonl", submitted_by="drop-box")
    batch = await receive(runtime, runtime.blobs, upload, content())

    assert (await batch_of(runtime, batch.batch_id)).filename == "reads\\x00.jsonl"


async def attempts(runtime: ServiceRuntime, settings: IngestSettings, times: int) -> tuple[str, list[str]]:
    """A stored file of three reads, and how each attempt at its batch ended (the error that stopped it, or
    "ended"), each made once the last one's claim has lapsed."""
    assert runtime.blobs is not None
    batch_id = await stored(runtime, [{**READ, "read_id": f"R{n}"} for n in range(3)])
    outcomes = []
    for _ in range(times):
        await asyncio.sleep(settings.lease_seconds * 2)
        try:
            await BatchProcessor(runtime, runtime.blobs, settings).process(batch_id)
        except Exception as exc:
            outcomes.append(type(exc).__name__)
        else:
            outcomes.append("ended")
    return batch_id, outcomes


async def test_a_batch_that_stops_the_same_way_every_time_fails_with_that_error(
    runtime: ServiceRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def failing(self: BatchProcessor, publication: Publication) -> None:
        raise RuntimeError("the attachment store is full")

    monkeypatch.setattr(BatchProcessor, "_store_attachments", failing)
    settings = IngestSettings(anpr_chunk_records=2, lease_seconds=0.05, max_stalls=3)

    batch_id, outcomes = await attempts(runtime, settings, 3)

    assert outcomes == ["RuntimeError", "RuntimeError", "ended"]
    failed = await batch_of(runtime, batch_id)
    assert failed.status is BatchStatus.FAILED
    assert failed.failure_reason == (
        "stopped 3 times in a row after record 0, each time before committing more: "
        "RuntimeError: the attachment store is full"
    )


async def test_a_batch_that_gets_further_each_time_is_not_failed_for_its_stops(
    runtime: ServiceRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    storing, calls = BatchProcessor._store_attachments, 0

    async def failing_twice(self: BatchProcessor, publication: Publication) -> None:
        nonlocal calls
        calls += 1
        if calls in (1, 3):  # the first chunk on the first attempt, the second chunk on the second
            raise RuntimeError("the attachment store is busy")
        await storing(self, publication)

    monkeypatch.setattr(BatchProcessor, "_store_attachments", failing_twice)

    batch_id, outcomes = await attempts(
        runtime, IngestSettings(anpr_chunk_records=2, lease_seconds=0.05, max_stalls=2), 3
    )

    assert outcomes == ["RuntimeError", "RuntimeError", "ended"]
    done = await batch_of(runtime, batch_id)
    assert (done.status, done.counts) == (BatchStatus.COMPLETED, Counts(3, 3, 0, 0))


async def test_the_same_file_again_publishes_nothing(runtime: ServiceRuntime, settings: IngestSettings) -> None:
    reads = [{**READ, "read_id": f"R{n}"} for n in range(7)]
    assert await ingest(runtime, settings, reads) == Counts(7, 7, 0, 0)

    assert await ingest(runtime, settings, reads) == Counts(7, 0, 0, 7)
    assert len(await sightings(runtime)) == 7


async def test_a_batch_whose_reader_process_died_resumes_and_publishes_each_read_once(
    runtime: ServiceRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = IngestSettings(anpr_chunk_records=2, read_apart_bytes=0, lease_seconds=0.1)
    batch_id = await stored(runtime, [{**READ, "read_id": f"R{n}"} for n in range(9)])
    asking = ProcessReader.next
    asked = 0

    async def dying(self: ProcessReader) -> PreparedChunk | None:
        nonlocal asked
        asked += 1
        if asked == 3:  # two chunks read; the first committed or committing
            self._process.kill()
        return await asking(self)

    monkeypatch.setattr(ProcessReader, "next", dying)
    assert runtime.blobs is not None
    with pytest.raises(ReaderFailed):
        await BatchProcessor(runtime, runtime.blobs, settings).process(batch_id)
    stopped = await batch_of(runtime, batch_id)
    assert stopped.status is BatchStatus.PROCESSING
    assert stopped.counts.read in (2, 4)  # what was committed before the reader died

    await asyncio.sleep(0.2)  # the dead processor's claim lapses
    monkeypatch.setattr(ProcessReader, "next", asking)
    await BatchProcessor(runtime, runtime.blobs, settings).process(batch_id)

    done = await batch_of(runtime, batch_id)
    assert done.status is BatchStatus.COMPLETED
    assert done.counts == Counts(9, 9, 0, 0)
    assert [read_id for read_id, _, _ in await sightings(runtime)] == [f"R{n}" for n in range(9)]
