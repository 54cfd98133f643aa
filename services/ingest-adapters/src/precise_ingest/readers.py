"""How the pipeline reads a stored file: chunk after chunk, each parsed, validated and hashed, with the events of
its records built when the ledger has judged them.

A small file is read in a worker thread of the service process (`ThreadReader`). A big one is read in a process
of its own (`ProcessReader`, ADR 0011): in a thread, the parse shares the service process's interpreter lock
with everything the event loop does per chunk, and on ANPR volumes it is the pipeline's critical path. Starting
a process costs tens of milliseconds, which a file of a few megabytes repays.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from precise_ingest.adapters.port import Chunk, ChunkedAdapter, Publication, ReadChunk, SourceAdapter
from precise_ingest.blobfile import blob_file
from precise_ingest.chunks import chunks_of, next_chunk
from precise_ingest.fingerprint import Seen
from precise_ingest.reader_process import ProcessReader, Task

log = logging.getLogger(__name__)
C = TypeVar("C", bound=ReadChunk)


class ChunkReader(Protocol[C]):
    """A stored file's chunks, in file order, and each chunk's events once its records are judged."""

    async def next(self) -> C | None:
        """The next chunk, None after the last; FileUnreadable if the file cannot be read (on), BlobError if the
        blob store failed."""
        ...

    async def publication(self, chunk: C, verdicts: Sequence[Seen]) -> Publication:
        """The chunk's events for the records whose verdict is NEW or UPDATE (one verdict per position)."""
        ...

    async def close(self) -> None:
        """Stop reading; call once no `next` or `publication` is still awaited."""
        ...


class ThreadReader:
    """Reads the file in a worker thread, off the event loop (the parse is CPU work and the blob file blocks)."""

    def __init__(self, task: Task, blocks: AsyncIterator[bytes]) -> None:
        self._file = blob_file(blocks, asyncio.get_running_loop())
        self._chunks = chunks_of(task.adapter, self._file, options=task.options, size=task.size, skip=task.skip)
        self._source = task.adapter.source

    async def next(self) -> Chunk | None:
        return await asyncio.to_thread(next_chunk, self._chunks, self._source)

    async def publication(self, chunk: Chunk, verdicts: Sequence[Seen]) -> Publication:
        return chunk.publish(verdicts)

    async def close(self) -> None:
        self._file.close()


async def open_reader(
    adapter: SourceAdapter | ChunkedAdapter,
    blocks: AsyncIterator[bytes],
    *,
    options: Mapping[str, Any],
    size: int,
    skip: int,
    file_bytes: int,
    apart: bool,
) -> ChunkReader[Any]:
    """A reader of the stored file's `blocks` (`file_bytes` in all): in a process of its own (`apart`) or in a
    worker thread."""
    task = Task(adapter, options, size, skip, file_bytes)
    if apart:
        try:
            return await ProcessReader.start(task, blocks)
        except (OSError, pickle.PicklingError, AttributeError, TypeError):
            # no process to be had, or an adapter that cannot be sent to one: the file is still read, here
            log.warning("the %s file is read in a thread: no reader process could start", adapter.source, exc_info=True)
    return ThreadReader(task, blocks)
