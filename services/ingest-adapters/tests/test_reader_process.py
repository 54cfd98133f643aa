"""A file read in a process of its own hands the pipeline the same chunks and events as one read in a thread, and
every way it can go wrong ends as the pipeline expects: the file's fault fails the batch, anything else (the blob
store, the reader process itself) stops it to be retried."""

from __future__ import annotations

import asyncio
import io
import json
import pickle
from collections.abc import AsyncIterator
from typing import Any

import pytest
from precise_ingest.adapters.anpr import AnprAdapter
from precise_ingest.adapters.port import FileUnreadable, Publication
from precise_ingest.blobfile import StoredFileUnavailable
from precise_ingest.chunks import chunks_of
from precise_ingest.fingerprint import Seen
from precise_ingest.reader_process import PreparedChunk, ProcessReader, ReaderFailed, Task, _packed
from precise_ingest.testing import ANPR_READ

from precise_contracts.events.ingest import VehicleSightingsBatched

READS = [{**ANPR_READ, "read_id": f"R{n}", "lane": 1 + n % 3} for n in range(25)]
BAD = {**ANPR_READ, "read_id": "BAD", "capture_time": "yesterday"}


def jsonl(reads: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(read) + "\n" for read in reads).encode()


async def blocks_of(content: bytes, *, block: int = 100, then: Exception | None = None) -> AsyncIterator[bytes]:
    """The content as the blob store streams it, in small blocks; `then` is raised after the last one."""
    for start in range(0, len(content), block):
        yield content[start : start + block]
    if then is not None:
        raise then


async def read_apart(content: bytes, *, size: int = 10, skip: int = 0) -> list[PreparedChunk]:
    reader = await ProcessReader.start(Task(AnprAdapter(), {}, size, skip, len(content)), blocks_of(content))
    try:
        chunks = []
        while (chunk := await reader.next()) is not None:
            chunks.append(chunk)
        return chunks
    finally:
        await reader.close()


def reads_of(publication: Publication) -> list[tuple[str, bool]]:
    return [
        (sighting.read_id, sighting.is_update)
        for event in publication.events
        for sighting in VehicleSightingsBatched.model_validate_json(event.data_json()).sightings()
    ]


async def test_a_file_read_apart_gives_the_chunks_a_thread_reads() -> None:
    content = jsonl([*READS[:12], BAD, *READS[12:]])
    in_thread = list(chunks_of(AnprAdapter(), io.BytesIO(content), options={}, size=10, skip=3))

    apart = await read_apart(content, skip=3)

    assert [(c.read, c.record_ids, c.digests, c.rejects) for c in apart] == [
        (c.read, c.record_ids, c.digests, c.rejects) for c in in_thread
    ]
    assert [c.rejects[0].origin.line for c in apart if c.rejects] == [13]
    # a new file's events come with its chunks, made as the thread's chunks make them
    for ours, theirs in zip(apart, in_thread, strict=True):
        assert ours.fresh is not None
        assert reads_of(ours.fresh) == reads_of(theirs.publish([Seen.NEW] * len(theirs.record_ids)))


async def test_a_chunk_the_ledger_holds_in_part_is_published_by_the_reader_from_the_verdicts() -> None:
    content = jsonl(READS[:6])
    reader = await ProcessReader.start(Task(AnprAdapter(), {}, 3, 0, len(content)), blocks_of(content))
    try:
        first = await reader.next()
        second = await reader.next()  # the first is still held: the pipeline commits two at once
        assert first is not None
        assert second is not None

        mixed = await reader.publication(first, [Seen.NEW, Seen.DUPLICATE, Seen.UPDATE])
        held = await reader.publication(second, [Seen.DUPLICATE] * 3)
        new = await reader.publication(second, [Seen.NEW] * 3)
    finally:
        await reader.close()

    assert reads_of(mixed) == [("R0", False), ("R2", True)]
    assert mixed.published == [0, 2]
    assert held.events == []
    assert held.published == []
    assert reads_of(new) == [("R3", False), ("R4", False), ("R5", False)]


async def test_a_read_seen_twice_in_one_chunk_waits_for_the_ledger_before_its_events_are_built() -> None:
    (chunk,) = await read_apart(jsonl([READS[0], {**READS[0], "lane": 3}]))
    assert chunk.fresh is None  # the second version is an update or a duplicate: only the verdicts say


async def test_a_file_the_adapter_cannot_read_is_unreadable_with_the_adapters_reason() -> None:
    with pytest.raises(FileUnreadable, match="header lacks the required field"):
        await read_apart(b"read_id,vrm\r\nR1,AB12CDE\r\n")


async def test_a_blob_store_failure_mid_file_is_the_stores_error_not_a_cut_off_file() -> None:
    content = jsonl(READS)
    failure = StoredFileUnavailable("the network went away")
    task = Task(AnprAdapter(), {}, 10, 0, len(content))
    reader = await ProcessReader.start(task, blocks_of(content[:500], then=failure))
    try:
        with pytest.raises(StoredFileUnavailable, match="the network went away"):
            await reader.next()  # the first chunk needs more of the file than the store gave
    finally:
        await reader.close()


async def test_a_stream_that_ends_short_of_the_stored_files_size_is_not_taken_for_the_whole_file() -> None:
    content = jsonl(READS)
    reader = await ProcessReader.start(Task(AnprAdapter(), {}, 100, 0, len(content)), blocks_of(content[:-50]))
    try:
        with pytest.raises(ReaderFailed, match="broke off before its end"):
            await reader.next()
    finally:
        await reader.close()


async def test_a_reader_process_that_dies_stops_the_batch_to_be_retried() -> None:
    content = jsonl(READS)
    reader = await ProcessReader.start(Task(AnprAdapter(), {}, 5, 0, len(content)), blocks_of(content))
    try:
        assert await reader.next() is not None
        reader._process.kill()
        with pytest.raises(ReaderFailed, match="stopped"):
            await reader.next()
    finally:
        await reader.close()


async def test_closing_a_reader_mid_file_stops_its_process() -> None:
    content = jsonl(READS * 40)
    reader = await ProcessReader.start(Task(AnprAdapter(), {}, 2, 0, len(content)), blocks_of(content, block=10))
    process = reader._process
    assert await reader.next() is not None

    await asyncio.wait_for(reader.close(), timeout=15)

    with pytest.raises(ValueError, match="process object is closed"):  # joined, so it no longer runs
        process.is_alive()


@pytest.mark.parametrize(
    "record_ids",
    [["R1", "R2", "R3"], ["only"], [""], ["", "R2"], ["CUST\x1f0001", "CUST-0002"]],
    ids=["ids", "one", "empty-id", "empty-first", "separator-in-an-id"],
)
def test_a_chunks_ids_and_hashes_reach_the_service_process_as_they_were(record_ids: list[str]) -> None:
    """They travel packed into one text each, unless an id (the source's own) holds the separator."""
    digests = [f"{n:064x}" for n in range(len(record_ids))]
    sent = PreparedChunk(1, len(record_ids), [], _packed(record_ids), _packed(digests), None)
    received = pickle.loads(pickle.dumps(sent))  # noqa: S301 - our own bytes, as the reader process sends them
    assert received.record_ids == record_ids
    assert received.digests == digests
