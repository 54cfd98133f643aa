"""Records/s from a source file to a consumer of the ingest topic, against the ANPR adapter's parse-only rate
over the same file, in the same run.

End to end is the local profile as deployed: the ingest-adapters service (its `Intake`) stores the upload in
Azurite, parses it in chunks, commits each chunk's ledger rows and events to its PostgreSQL outbox, and the
outbox relay publishes them to RabbitMQ; a counting consumer in another process (its own PostgreSQL inbox, as
a real subscriber has) counts the records the events carry: reads for VehicleSightingsBatched, one per
event otherwise. The clock runs from the stored file's batch being submitted to the last record counted; the
upload into Azurite is timed apart.

The host's speed drifts from run to run, so the ANPR file runs `PRECISE_BENCH_ANPR_RUNS` times (default 3), each
through a service with a fresh schema and right after its own parse-only baseline, and the median is the figure.

Target (issue 3): 50,000 ANPR reads/s end to end.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from precise_ingest.adapters.mappings import shipped_mappings
from precise_ingest.adapters.registry import adapter_for
from precise_ingest.chunks import chunks_of, records_per_chunk
from precise_ingest.intake import intake_of
from precise_ingest.pipeline import Upload, receive
from precise_ingest.service import service
from precise_ingest.settings import IngestSettings
from precise_ingest.store import BatchStatus, get_batch

from benchmarks.bus_throughput import _consumer_process, _drop_schemas, count_handled
from benchmarks.cpu_share import CpuShare, sampled
from precise_chassis.bus.rabbitmq import RabbitMQBus
from precise_chassis.heap import settle_after_start_up
from precise_chassis.runtime import Platform, ServiceRuntime
from precise_chassis.settings import PlatformSettings, Profile
from precise_chassis.testing import services
from precise_chassis.testing.azurite import azurite
from precise_chassis.testing.rabbitmq import delete_topology
from precise_contracts.envelope import Event
from precise_contracts.events.ingest import VehicleSightingsBatched
from precise_contracts.registry import REGISTRY, Subscription
from precise_tools.synth.generate import generate
from precise_tools.synth.sources.anpr import AnprLayout

ANPR_READS = int(os.environ.get("PRECISE_BENCH_ANPR_READS", "200000"))
ANPR_RUNS = int(os.environ.get("PRECISE_BENCH_ANPR_RUNS", "3"))
PEOPLE = int(os.environ.get("PRECISE_BENCH_PEOPLE", "5000"))  # the PNC and custody files' size
SEED = 7
TARGET = 50_000
COUNTER = Subscription(
    topic="ingest", service="bench-counter", event_types=frozenset(event.type for event in REGISTRY.events())
)
UPLOAD_BLOCK = 1024 * 1024


@dataclass(frozen=True)
class SourceFile:
    label: str
    source: str
    mapping: str | None
    path: Path

    def parse(self) -> tuple[int, float]:
        """How many records the adapter accepts, and the seconds it takes to read the file into the chunks the
        pipeline commits (parsed, validated and hashed; no database, no bus)."""
        options = {"mapping": shipped_mappings()[self.mapping].mapping} if self.mapping else {}
        started = time.perf_counter()
        adapter = adapter_for(self.source)
        size = records_per_chunk(adapter, IngestSettings())  # as the service chunks it
        with self.path.open("rb") as data:
            chunks = chunks_of(adapter, data, options=options, size=size, skip=0)
            accepted = sum(len(chunk.record_ids) for chunk in chunks)
        return accepted, time.perf_counter() - started


# --- the counting consumer (its own process) ----------------------------------------------------------------


def _records_in(event: Event) -> int:
    return len(event.read_ids) if isinstance(event, VehicleSightingsBatched) else 1


async def count_records(
    url: str, prefix: str, schema: str, database_url: str, expected: int, ready: Callable[[], None]
) -> float:
    """Counts reads (sightings in a batch) or records (one per event) on the ingest topic."""
    return await count_handled(url, prefix, schema, database_url, COUNTER, REGISTRY, _records_in, expected, ready)


# --- the run --------------------------------------------------------------------------------------------------


async def _file(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as data:
        while block := await asyncio.to_thread(data.read, UPLOAD_BLOCK):
            yield block


@dataclass(frozen=True)
class Timing:
    """One file through the service: seconds to upload it into the blob store, then from the stored file (its
    batch submitted, as a file dropped into the container is) to the last record counted by the consumer."""

    records: int
    upload: float
    processing: float
    cpu: CpuShare

    def rate(self, *, with_upload: bool = False) -> float:
        return self.records / (self.processing + (self.upload if with_upload else 0.0))


async def end_to_end(runtime: ServiceRuntime, settings: PlatformSettings, file: SourceFile, expected: int) -> Timing:
    counter_schema = f"bench_counter_{uuid.uuid4().hex[:8]}"
    args = (settings.rabbitmq_url, settings.topology_prefix, counter_schema, settings.database_url, expected)
    spawn = multiprocessing.get_context("spawn")
    ours, theirs = spawn.Pipe()
    child = spawn.Process(target=_consumer_process, args=(count_records, args, theirs))
    child.start()
    try:
        if not await asyncio.to_thread(ours.poll, 120) or ours.recv() != "ready":
            raise RuntimeError("the consumer process did not start")
        started = time.time()
        upload = Upload(source=file.source, mapping=file.mapping, filename=file.path.name, submitted_by="bench")
        if runtime.blobs is None:
            raise RuntimeError("ingest-adapters runs without its blob store")
        batch = await receive(runtime, runtime.blobs, upload, _file(file.path))
        stored = time.time()
        with sampled(consumer=child.pid or 0) as cpu:
            intake_of(runtime).submit(batch.batch_id)
            if not await asyncio.to_thread(ours.poll, 900):
                raise RuntimeError(f"the consumer did not count {expected:,} records of {file.label}")
            finished: float = ours.recv()
        async with runtime.unit_of_work() as uow:
            done = await get_batch(uow.session, batch.batch_id)
        if done is None or done.status is not BatchStatus.COMPLETED or done.counts.accepted != expected:
            raise RuntimeError(f"{file.label}: the batch ended as {done}, not {expected:,} accepted")
        return Timing(expected, stored - started, finished - stored, cpu)
    finally:
        child.join(timeout=30)
        await _drop_schemas(settings.database_url, counter_schema)


def _generate(out: Path) -> Iterator[SourceFile]:
    generate(out, people=PEOPLE, seed=SEED, anpr_reads=ANPR_READS, anpr_layout=AnprLayout.CSV)
    yield SourceFile("ANPR reads (CSV)", "anpr", None, out / "anpr" / "reads.csv")
    yield SourceFile("PNC nominals", "pnc", None, out / "pnc" / "nominals.csv")
    yield SourceFile("legacy custody CSV", "legacy", "custody", out / "legacy" / "custody.csv")


@dataclass(frozen=True)
class Run:
    """One file's parse-only baseline and its end-to-end timing, measured one after the other."""

    file: SourceFile
    accepted: int
    parse_seconds: float
    timing: Timing

    @property
    def parse_rate(self) -> float:
        return self.accepted / self.parse_seconds

    @property
    def ratio(self) -> float:
        return self.timing.rate() / self.parse_rate


async def measure(url: str, database_url: str, blob_connection: str, files: list[SourceFile]) -> list[Run]:
    """Each file parsed alone, then end to end, through a service with a schema and a topology of its own (a file
    ingested again would be all duplicates)."""
    run = uuid.uuid4().hex[:8]
    settings = PlatformSettings(
        profile=Profile.LOCAL,
        database_url=database_url,
        rabbitmq_url=url,
        schema_prefix=f"bench_{run}_",
        topology_prefix=f"bench-{run}.",
        blob_connection=blob_connection,
    )
    setup = RabbitMQBus(url, prefix=settings.topology_prefix)
    await setup.ensure_topology(REGISTRY.topics, [COUNTER])
    await setup.close()
    platform = Platform(settings, [service], REGISTRY)
    runs = []
    try:
        await platform.start()
        settle_after_start_up()  # as `precise run` does
        runtime = platform.runtime(service.name)
        for file in files:
            accepted, seconds = file.parse()
            runs.append(Run(file, accepted, seconds, await end_to_end(runtime, settings, file, accepted)))
    finally:
        await platform.stop()
        await _drop_schemas(database_url, settings.schema_for(service.name))
        await delete_topology(url, settings.topology_prefix, [t.name for t in REGISTRY.topics], [COUNTER])
    return runs


async def main() -> None:
    with ExitStack() as stack:
        url = services.rabbitmq_url(stack)
        database_url = services.postgres_url(stack)
        blob_connection = stack.enter_context(azurite())
        out = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="precise-bench-ingest-")))
        anpr, *others = _generate(out)
        # the host's speed drifts between runs (benchmarks/README.md), so ANPR runs several times, each beside
        # its own baseline, and the median is the figure
        anpr_runs = [(await measure(url, database_url, blob_connection, [anpr]))[0] for _ in range(ANPR_RUNS)]
        other_runs = await measure(url, database_url, blob_connection, others)
    print(
        f"ingest: synthetic files (seed {SEED}), local profile (Azurite, PostgreSQL, RabbitMQ), consumer in 2nd process"
    )
    reads = anpr_runs[0].accepted
    print(f"  ANPR {reads:,} reads, {ANPR_RUNS} run(s), each: read into chunks only (no database, no bus), then")
    print("  stored file -> pipeline -> outbox -> RabbitMQ -> consumer")
    for number, run in enumerate(anpr_runs, start=1):
        timing = run.timing
        print(
            f"    run {number}: read only {run.parse_rate:9,.0f} reads/s, end to end {timing.rate():9,.0f} reads/s, "
            f"ratio {run.ratio:.2f} (upload into Azurite alone {reads / timing.upload:,.0f} reads/s; with it in "
            f"the clock {timing.rate(with_upload=True):,.0f})"
        )
        print(f"      CPU a read: {timing.cpu.per_record(timing.records)}")
    rate = statistics.median(run.timing.rate() for run in anpr_runs)
    ratio = statistics.median(run.ratio for run in anpr_runs)
    print(f"  ANPR end to end, median: {rate:10,.0f} reads/s; ratio {ratio:.2f} of read only; target {TARGET:,}")
    for run in other_runs:
        timing = run.timing
        label = run.file.label
        print(f"  {label}, {timing.records:,} records, stored file to consumer: {timing.rate():10,.0f} records/s")
