"""A stored file read in a process of its own (ADR 0011): the parse runs beside the service process, not under
its interpreter lock.

The service process streams the file's blocks down one pipe and asks for chunks on another. The reader process
parses one chunk ahead of what it was asked for, and hands each chunk over as what the service process needs of
it and nothing more: the records' ids and content hashes, the rejects, and the events' JSON as they are if
every record is new (a new file of reads, the common case). Only a chunk whose records the ledger already
holds in part is asked back for its events, with the verdicts; one it holds whole publishes nothing.

A process is started per file, from a fork server that has the adapters and the program's main script imported:
tens of milliseconds. If it dies, the batch stops as after a database error (`ReaderFailed`) and is resumed from
its last committed chunk.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import io
import logging
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext, ForkServerProcess
from typing import Any, Self

from precise_chassis.heap import settle_after_start_up
from precise_ingest import fork_server
from precise_ingest.adapters.port import Chunk, ChunkedAdapter, FileUnreadable, Publication, Rejected, SourceAdapter
from precise_ingest.blobfile import BUFFER_BYTES, StoredFileUnavailable, next_block
from precise_ingest.chunks import chunks_of, next_chunk
from precise_ingest.fingerprint import Seen
from precise_ingest.joined_text import joined

log = logging.getLogger(__name__)

# Imported once by the fork server, so a reader process starts with them in memory; the program's main script
# first (`fork_server`), as a reader process would otherwise import it itself.
_PRELOAD = [
    "precise_ingest.fork_server",
    __name__,
    "precise_ingest.adapters.anpr",
    "precise_ingest.adapters.ident1",
    "precise_ingest.adapters.legacy",
]
# Chunks a reader keeps, to build their events on request: the one it has read ahead, and those handed over that
# the pipeline may still publish (at most one waiting and two committing).
_KEPT = 4
_PIPE_BYTES = 1024 * 1024  # what Linux lets any process give a pipe (fs.pipe-max-size)


class ReaderFailed(RuntimeError):
    """The reader process stopped or broke: not the file's fault, so the batch is retried from its last chunk."""


@dataclass(frozen=True)
class Task:
    """What to read the file as: the adapter, its options, the chunk size and the records already committed, and
    the stored file's size in bytes."""

    adapter: SourceAdapter | ChunkedAdapter
    options: Mapping[str, Any]
    size: int
    skip: int
    file_bytes: int


@dataclass(frozen=True)
class PreparedChunk:
    """A chunk as the reader process hands it over; `fresh` is its publication if every record is new (None
    when a record appears twice in it, which the ledger's verdicts decide). Its ids and content hashes travel
    packed (`_packed`)."""

    number: int
    read: int
    rejects: list[Rejected]
    packed_ids: Packed
    packed_digests: Packed
    fresh: Publication | None

    @cached_property
    def record_ids(self) -> list[str]:
        return _unpacked(self.packed_ids)

    @cached_property
    def digests(self) -> list[str]:
        return _unpacked(self.packed_digests)


# Strings as one text, to be split again: pickling one string rather than ten thousand costs the reader process
# a tenth as much (~0.03 us a record instead of ~0.34), and the split costs the service process no more than
# unpickling them did. A list stays a list when a string holds the separator (ids are the source's).
Packed = str | list[str]
_SEPARATOR = "\x1f"


def _packed(values: list[str]) -> Packed:
    text = joined(values, _SEPARATOR)
    return values if text is None else text


def _unpacked(packed: Packed) -> list[str]:
    return packed.split(_SEPARATOR) if isinstance(packed, str) else packed


@dataclass(frozen=True)
class _Publish:
    number: int
    verdicts: list[Seen]


@dataclass(frozen=True)
class _Failure:
    unreadable: bool  # the file's fault (FileUnreadable), or the reader's
    reason: str


_NEXT = "next"
Reply = PreparedChunk | Publication | _Failure | None


def warm_up() -> None:
    """Start the fork server (it imports the adapters once), so the first file does not wait for it."""
    _context()
    fork_server.ensure_running()


def _context() -> ForkServerContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    return context


class ProcessReader:
    """The service process's side: feeds the file to the reader process and asks it for chunks."""

    def __init__(
        self, process: ForkServerProcess, control: Connection, data: Connection, blocks: AsyncIterator[bytes]
    ) -> None:
        self._process = process
        self._control = control
        self._data = data
        self._asking = asyncio.Lock()
        self._broken = False
        self._feeding = asyncio.create_task(self._feed(blocks))

    @classmethod
    async def start(cls, task: Task, blocks: AsyncIterator[bytes]) -> Self:
        context = _context()
        control, their_control = context.Pipe()
        their_data, data = context.Pipe(duplex=False)
        with contextlib.suppress(OSError):  # a pipe-full per write rather than 64 KiB: the feed's lock hand-offs
            fcntl.fcntl(data.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
        process = context.Process(
            target=serve, args=(their_control, their_data, task), name=f"{task.adapter.source}-reader", daemon=True
        )
        try:
            await asyncio.to_thread(_started, process)
        except BaseException:
            for connection in (control, data):
                connection.close()
            raise
        finally:
            their_control.close()
            their_data.close()
        return cls(process, control, data, blocks)

    async def next(self) -> PreparedChunk | None:
        reply = await self._ask(_NEXT)
        if reply is not None and not isinstance(reply, PreparedChunk):
            raise ReaderFailed(f"the reader process answered a chunk request with {type(reply).__name__}")
        return reply

    async def publication(self, chunk: PreparedChunk, verdicts: Sequence[Seen]) -> Publication:
        if chunk.fresh is not None and verdicts.count(Seen.NEW) == len(verdicts):
            return chunk.fresh
        if verdicts.count(Seen.DUPLICATE) == len(verdicts):
            return Publication([], [], [])
        reply = await self._ask(_Publish(chunk.number, list(verdicts)))
        if not isinstance(reply, Publication):
            raise ReaderFailed(f"the reader process answered a publication request with {type(reply).__name__}")
        return reply

    async def close(self) -> None:
        """Stop the reader process (it holds nothing that needs saving) and the feed."""
        self._broken = True
        if self._process.is_alive():
            self._process.terminate()
        await asyncio.to_thread(self._process.join, 10)
        if self._process.is_alive():
            self._process.kill()
            await asyncio.to_thread(self._process.join)
        await asyncio.gather(self._feeding, return_exceptions=True)  # its send fails now the reader is gone
        self._control.close()
        self._process.close()

    async def _feed(self, blocks: AsyncIterator[bytes]) -> None:
        """Stream the file's bytes down the data pipe, the next block fetched while one is written. The pipe is
        closed at the end, and also on a blob store failure: the reader then finds the stream short of the file's
        size, and `_ask` raises the store's error."""
        following = asyncio.ensure_future(next_block(blocks))
        try:
            while (block := await following) is not None:
                following = asyncio.ensure_future(next_block(blocks))
                await asyncio.to_thread(_write_all, self._data.fileno(), block)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the reader stopped reading: it failed, or the batch ended early, and says so itself
        finally:
            following.cancel()
            await asyncio.gather(following, return_exceptions=True)
            self._data.close()

    async def _ask(self, request: object) -> Reply:
        async with self._asking:
            if self._broken:
                raise ReaderFailed("the reader process was stopped")
            try:
                reply: Reply = await asyncio.to_thread(_exchange, self._control, request)
            except asyncio.CancelledError:
                self._broken = True  # the answer would go to the next request
                raise
            except (EOFError, OSError) as exc:
                self._broken = True
                self._raise_feed_failure()
                raise ReaderFailed(f"the reader process stopped (exit code {self._process.exitcode})") from exc
        if isinstance(reply, _Failure):
            self._raise_feed_failure()
            raise FileUnreadable(reply.reason) if reply.unreadable else ReaderFailed(reply.reason)
        return reply

    def _raise_feed_failure(self) -> None:
        if self._feeding.done() and not self._feeding.cancelled() and (failure := self._feeding.exception()):
            raise failure


def _started(process: ForkServerProcess) -> None:
    fork_server.ensure_running()  # as `warm_up` starts it, should it have stopped since
    process.start()


def _write_all(pipe: int, block: bytes) -> None:
    view = memoryview(block)
    while view:
        view = view[os.write(pipe, view) :]


def _exchange(control: Connection, request: object) -> Reply:
    control.send(request)
    reply: Reply = control.recv()
    return reply


# --- the reader process ---------------------------------------------------------------------------------------


class _StreamedFile(io.RawIOBase):
    """The stored file as the service process streams it down the data pipe, read straight into the reader's
    buffer. A stream that ends short of the file's size was cut off (the blob store failed mid-file)."""

    def __init__(self, data: Connection, file_bytes: int) -> None:
        self._pipe = io.FileIO(data.fileno(), "rb", closefd=False)
        self._left = file_bytes

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        count = self._pipe.readinto(buffer) or 0
        if not count and self._left > 0:
            raise StoredFileUnavailable("the stored file's stream broke off before its end")
        self._left -= count
        return count


def serve(control: Connection, data: Connection, task: Task) -> None:
    """The reader process: answer the service process's requests until it hangs up."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the service, which then stops its readers
    settle_after_start_up()  # as the service process does: parsing makes and drops objects by the million
    file = io.BufferedReader(_StreamedFile(data, task.file_bytes), buffer_size=BUFFER_BYTES)
    chunks = chunks_of(task.adapter, file, options=task.options, size=task.size, skip=task.skip)
    kept: deque[tuple[int, Chunk]] = deque(maxlen=_KEPT)
    numbered = 0

    def ahead() -> PreparedChunk | _Failure | None:
        nonlocal numbered
        try:
            chunk = next_chunk(chunks, task.adapter.source)
            if chunk is None:
                return None
            numbered += 1
            kept.append((numbered, chunk))
            return _prepared(numbered, chunk)
        except FileUnreadable as exc:
            return _Failure(True, str(exc))
        except Exception as exc:
            log.exception("the reader process failed")
            return _Failure(False, f"the reader process failed: {type(exc).__name__}: {exc}")

    following = ahead()  # the first chunk is read before it is asked for
    while True:
        try:
            request = control.recv()
        except EOFError:
            return
        if request == _NEXT:
            control.send(following)
            if isinstance(following, PreparedChunk):
                following = ahead()
        elif isinstance(request, _Publish):
            control.send(_published(kept, request))
        else:
            control.send(_Failure(False, f"the reader process does not know the request {request!r}"))


def _prepared(number: int, chunk: Chunk) -> PreparedChunk:
    record_ids, digests = list(chunk.record_ids), list(chunk.digests)
    # every record new is the only verdict the reader can foresee, and only for a chunk that holds each once
    fresh = chunk.publish([Seen.NEW] * len(record_ids)) if len(set(record_ids)) == len(record_ids) else None
    return PreparedChunk(number, chunk.read, list(chunk.rejects), _packed(record_ids), _packed(digests), fresh)


def _published(kept: deque[tuple[int, Chunk]], request: _Publish) -> Publication | _Failure:
    for number, chunk in kept:
        if number == request.number:
            try:
                return chunk.publish(request.verdicts)
            except Exception as exc:
                log.exception("building the events of chunk %d failed", number)
                return _Failure(False, f"building the events of a chunk failed: {type(exc).__name__}: {exc}")
    return _Failure(False, f"the reader process no longer holds chunk {request.number}")
