"""The local folder adapter: what only a folder can get wrong (debris, crashes, restarts)."""

from __future__ import annotations

import asyncio
import shutil
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from precise_chassis.blob.local import LocalBlobStore
from precise_chassis.blob.port import BlobNotFound, BlobStoreUnavailable


def files_under(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


async def test_a_put_whose_stream_fails_half_way_leaves_no_blob_and_no_debris(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path, "evidence", io_block_size=64 * 1024)

    async def upload_that_breaks() -> AsyncIterator[bytes]:
        for _ in range(8):
            yield b"\x01" * 64 * 1024
        raise ConnectionResetError("the officer's phone lost signal")

    with pytest.raises(ConnectionResetError):
        await store.put("exhibits/ex-9/video", upload_that_breaks())

    assert await store.head("exhibits/ex-9/video") is None
    with pytest.raises(BlobNotFound):
        [chunk async for chunk in store.get("exhibits/ex-9/video")]
    assert files_under(tmp_path) == []
    assert not (tmp_path / "evidence" / "exhibits").exists()

    async def upload() -> AsyncIterator[bytes]:
        yield b"the retried upload"

    await store.put("exhibits/ex-9/video", upload())
    assert b"".join([chunk async for chunk in store.get("exhibits/ex-9/video")]) == b"the retried upload"


async def test_a_process_killed_during_a_put_leaves_no_blob_under_the_key(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import asyncio, sys
        from pathlib import Path
        from precise_chassis.blob.local import LocalBlobStore

        async def endless():
            for n in range(100_000):
                if n == 20:
                    print("streaming", flush=True)
                yield bytes(64 * 1024)
                await asyncio.sleep(0.001)

        asyncio.run(LocalBlobStore(Path(sys.argv[1]), "evidence").put("exhibits/killed", endless()))
        """
    )
    writer = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, str(tmp_path), stdout=asyncio.subprocess.PIPE
    )
    assert writer.stdout is not None
    assert await writer.stdout.readline() == b"streaming\n"
    writer.kill()
    await writer.wait()

    store = LocalBlobStore(tmp_path, "evidence")
    assert await store.head("exhibits/killed") is None

    async def upload() -> AsyncIterator[bytes]:
        yield b"written after the crash"

    stored = await store.put("exhibits/killed", upload())
    assert stored.size == len(b"written after the crash")


async def test_blobs_outlive_the_store_that_wrote_them(tmp_path: Path) -> None:
    async def upload() -> AsyncIterator[bytes]:
        yield b"custody record"

    written = await LocalBlobStore(tmp_path, "evidence").put("records/r-1", upload(), metadata={"case": "C1"})

    reopened = LocalBlobStore(tmp_path, "evidence")
    assert await reopened.head("records/r-1") == written
    assert b"".join([chunk async for chunk in reopened.get("records/r-1")]) == b"custody record"


async def test_ping_reports_a_missing_folder(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path, "evidence")
    await store.ping()
    shutil.rmtree(tmp_path / "evidence")

    with pytest.raises(BlobStoreUnavailable, match="evidence"):
        await store.ping()
