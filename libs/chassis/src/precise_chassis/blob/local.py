"""The blob store on a local folder (embedded profile).

Layout under `<root>/<container>/`:
    <key segments as folders>/.meta.json   the sidecar: size, sha256, content type, metadata, data file
    <key segments as folders>/.data-<id>   the content, named by the put that wrote it
    .staging/                              puts in flight
Key segments never start with a dot, so these names can never clash with a key, and a key can be the
prefix of another. The sidecar is the commit point: a put streams into .staging, moves the content beside
the sidecar's place, then links the sidecar in with os.link, which fails if one is there already. So of
two racing puts exactly one wins, and a killed process leaves at most unreferenced files, never a blob
under the key without its sidecar or with partial content. Blocking file IO runs in worker threads, a
block at a time.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, BinaryIO

from precise_chassis.blob.port import (
    DEFAULT_CONTENT_TYPE,
    BlobExists,
    BlobInfo,
    BlobNotFound,
    BlobStoreUnavailable,
    ContentDigest,
    blocks,
    check_expected_sha256,
    resolve_range,
    validate_container,
    validate_content_type,
    validate_key,
    validate_metadata,
)

DEFAULT_IO_BLOCK = 1024 * 1024
_SIDECAR = ".meta.json"
_STAGING = ".staging"


class LocalBlobStore:
    def __init__(self, root: Path, container: str, *, io_block_size: int = DEFAULT_IO_BLOCK) -> None:
        self.container = validate_container(container)
        self._folder = Path(root) / self.container
        self._staging = self._folder / _STAGING
        self._io_block_size = io_block_size
        self._staging.mkdir(parents=True, exist_ok=True)

    async def put(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
        metadata: Mapping[str, str] | None = None,
        expected_sha256: str | None = None,
    ) -> BlobInfo:
        key = validate_key(key)
        content_type = validate_content_type(content_type)
        user_metadata = validate_metadata(metadata)
        key_folder = self._folder / key
        # Fail before reading a possibly large upload; the link below is what guarantees it.
        if await asyncio.to_thread((key_folder / _SIDECAR).exists):
            raise BlobExists(key)

        put_id = uuid.uuid4().hex
        staged = self._staging / f"{put_id}.data"
        digest = ContentDigest()
        file = await asyncio.to_thread(staged.open, "xb")
        try:
            try:
                async for block in blocks(chunks, self._io_block_size):
                    await asyncio.to_thread(_write_block, file, digest, block)
                await asyncio.to_thread(_flush, file)
            finally:
                await asyncio.to_thread(file.close)
            check_expected_sha256(key, expected_sha256, digest.sha256)
            info = BlobInfo(
                key=key,
                size=digest.size,
                sha256=digest.sha256,
                content_type=content_type,
                created_at=datetime.now(UTC),
                metadata=user_metadata,
            )
            await asyncio.to_thread(self._commit, info, staged, put_id)
        finally:
            await asyncio.to_thread(staged.unlink, missing_ok=True)
        return info

    def _commit(self, info: BlobInfo, staged: Path, put_id: str) -> None:
        key_folder = self._folder / info.key
        key_folder.mkdir(parents=True, exist_ok=True)
        data = key_folder / f".data-{put_id}"
        staged_sidecar = self._staging / f"{put_id}.json"
        staged.rename(data)
        try:
            with staged_sidecar.open("x", encoding="utf-8") as sidecar:
                json.dump(_sidecar(info, data.name), sidecar)
                _flush(sidecar)
            os.link(staged_sidecar, key_folder / _SIDECAR)
        except FileExistsError:
            data.unlink()
            raise BlobExists(info.key) from None
        except BaseException:
            data.unlink(missing_ok=True)
            raise
        finally:
            staged_sidecar.unlink(missing_ok=True)
        _sync_folder(key_folder)

    async def get(self, key: str, *, start: int | None = None, end: int | None = None) -> AsyncIterator[bytes]:
        found = await asyncio.to_thread(self._read_sidecar, validate_key(key))
        if found is None:
            raise BlobNotFound(key)
        info, data = found
        offset, remaining = resolve_range(start, end, info.size)
        if remaining == 0:
            return
        file = await asyncio.to_thread(data.open, "rb")
        try:
            await asyncio.to_thread(file.seek, offset)
            while remaining > 0:
                block = await asyncio.to_thread(file.read, min(remaining, self._io_block_size))
                if not block:
                    raise OSError(f"blob {key!r} is shorter on disk than its recorded {info.size} bytes")
                remaining -= len(block)
                yield block
        finally:
            await asyncio.to_thread(file.close)

    async def head(self, key: str) -> BlobInfo | None:
        found = await asyncio.to_thread(self._read_sidecar, validate_key(key))
        return None if found is None else found[0]

    def _read_sidecar(self, key: str) -> tuple[BlobInfo, Path] | None:
        key_folder = self._folder / key
        try:
            recorded = json.loads((key_folder / _SIDECAR).read_text(encoding="utf-8"))
        except (FileNotFoundError, NotADirectoryError):
            return None
        info = BlobInfo(
            key=key,
            size=recorded["size"],
            sha256=recorded["sha256"],
            content_type=recorded["content_type"],
            created_at=datetime.fromisoformat(recorded["created_at"]),
            metadata=recorded["metadata"],
        )
        return info, key_folder / recorded["data"]

    async def ping(self) -> None:
        if not await asyncio.to_thread(os.access, self._staging, os.W_OK | os.X_OK):
            raise BlobStoreUnavailable(f"blob folder {self._folder} is missing or not writable")

    async def close(self) -> None:
        """Nothing to release: files are opened and closed within each call."""


def _sidecar(info: BlobInfo, data_name: str) -> dict[str, object]:
    return {
        "key": info.key,
        "size": info.size,
        "sha256": info.sha256,
        "content_type": info.content_type,
        "created_at": info.created_at.isoformat(),
        "metadata": dict(info.metadata),
        "data": data_name,
    }


def _write_block(file: BinaryIO, digest: ContentDigest, block: bytes) -> None:
    # Hashing here keeps it off the event loop too (hashlib releases the GIL for large blocks).
    file.write(block)
    digest.update(block)


def _flush(file: IO[Any]) -> None:
    file.flush()
    os.fsync(file.fileno())


def _sync_folder(folder: Path) -> None:
    """Make the new directory entries durable, so a committed blob survives a power cut."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
