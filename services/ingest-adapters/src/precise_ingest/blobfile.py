"""A stored blob as the blocking binary file the adapters read, for use in a worker thread: each read pulls
the next block from the blob store on the event loop, so a file of any size streams through bounded memory."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from typing import BinaryIO

from precise_chassis.blob.port import BlobError

BUFFER_BYTES = 1024 * 1024


class StoredFileUnavailable(BlobError):
    """The blob store failed while the file was being read; the batch is retried later."""


class _BlobStream(io.RawIOBase):
    def __init__(self, blocks: AsyncIterator[bytes], loop: asyncio.AbstractEventLoop) -> None:
        self._blocks = blocks
        self._loop = loop
        self._pending = memoryview(b"")
        self._ended = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            if self._ended:
                return 0
            block = asyncio.run_coroutine_threadsafe(self._next(), self._loop).result()
            if block is None:
                self._ended = True
                return 0
            self._pending = memoryview(block)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    async def _next(self) -> bytes | None:
        return await next_block(self._blocks)


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
    return io.BufferedReader(_BlobStream(blocks, loop), buffer_size=BUFFER_BYTES)
