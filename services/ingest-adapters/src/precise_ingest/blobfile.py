"""A stored blob as the blocking binary file the adapters read, for use in a worker thread: each read pulls
the next block from the blob store on the event loop, so a file of any size streams through bounded memory.
(A reader process, `reader_process`, reads the file's bytes straight from its pipe instead.)"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Callable
from typing import BinaryIO

from precise_chassis.blob.port import BlobError

BUFFER_BYTES = 1024 * 1024


class StoredFileUnavailable(BlobError):
    """The blob store failed while the file was being read; the batch is retried later."""


class _Blocks(io.RawIOBase):
    """A file read from blocks that a blocking call gives one after the other (None after the last)."""

    def __init__(self, following: Callable[[], bytes | None]) -> None:
        self._following = following
        self._pending = memoryview(b"")
        self._ended = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            if self._ended:
                return 0
            block = self._following()
            if block is None:
                self._ended = True
                return 0
            self._pending = memoryview(block)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def block_file(following: Callable[[], bytes | None]) -> BinaryIO:
    """The blocks as one buffered binary file."""
    return io.BufferedReader(_Blocks(following), buffer_size=BUFFER_BYTES)


async def next_block(blocks: AsyncIterator[bytes]) -> bytes | None:
    """The stored file's next block, None after the last; the store's own errors (network, service) become
    StoredFileUnavailable: the file is not at fault."""
    try:
        return await anext(blocks)
    except StopAsyncIteration:
        return None
    except BlobError:
        raise
    except Exception as exc:
        raise StoredFileUnavailable(f"reading the stored file failed: {type(exc).__name__}: {exc}") from exc


def blob_file(blocks: AsyncIterator[bytes], loop: asyncio.AbstractEventLoop) -> BinaryIO:
    """Read it only off the event loop (asyncio.to_thread); close `blocks` on the loop when done."""
    return block_file(lambda: asyncio.run_coroutine_threadsafe(next_block(blocks), loop).result())
