"""The blob store port's semantics (see precise_chassis/blob/port.py), proved for every adapter: the local
folder, and Azure Blob Storage on Azurite."""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from precise_chassis.blob.local import LocalBlobStore
from precise_chassis.blob.port import (
    BlobExists,
    BlobInfo,
    BlobNotFound,
    BlobStore,
    DigestMismatch,
    InvalidKey,
    InvalidRange,
)

KIB = 1024
MIB = 1024 * KIB


@pytest.fixture(params=["local", pytest.param("azure", marks=pytest.mark.integration)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path, "conformance")
    azure_store: BlobStore = request.getfixturevalue("azure_store")
    return azure_store


def synthetic(size: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(size)


async def chunked(data: bytes, chunk_size: int = 64 * KIB) -> AsyncIterator[bytes]:
    for offset in range(0, len(data), chunk_size):
        yield data[offset : offset + chunk_size]


async def read(store: BlobStore, key: str, *, start: int | None = None, end: int | None = None) -> bytes:
    return b"".join([chunk async for chunk in store.get(key, start=start, end=end)])


async def test_a_multi_chunk_stream_round_trips_with_its_digest_and_size(store: BlobStore) -> None:
    content = synthetic(5 * MIB)
    stored = await store.put(
        "exhibits/ex-001/original.mp4",
        chunked(content),
        content_type="video/mp4",
        metadata={"exhibit": "EX-001", "uploaded_by": "PC 1234"},
    )

    assert stored.size == len(content)
    assert stored.sha256 == hashlib.sha256(content).hexdigest()
    assert await read(store, "exhibits/ex-001/original.mp4") == content
    head = await store.head("exhibits/ex-001/original.mp4")
    assert head == stored
    assert head.content_type == "video/mp4"
    assert head.metadata == {"exhibit": "EX-001", "uploaded_by": "PC 1234"}


async def test_an_existing_blob_is_never_overwritten(store: BlobStore) -> None:
    original = await store.put("statements/s-1", chunked(b"the original statement"))
    replacement_read = False

    async def replacement() -> AsyncIterator[bytes]:
        nonlocal replacement_read
        replacement_read = True
        yield b"a tampered statement"

    with pytest.raises(BlobExists):
        await store.put("statements/s-1", replacement())

    assert not replacement_read, "a put to an existing key should fail before reading the upload"
    assert await read(store, "statements/s-1") == b"the original statement"
    assert await store.head("statements/s-1") == original


async def test_of_racing_puts_of_one_key_exactly_one_wins(store: BlobStore) -> None:
    racers = 3
    all_started = asyncio.Event()
    started = 0

    async def upload(content: bytes) -> AsyncIterator[bytes]:
        # Every racer is past the existence check before any of them can commit.
        nonlocal started
        yield content[:10]
        started += 1
        if started == racers:
            all_started.set()
        await all_started.wait()
        yield content[10:]

    contents = [synthetic(300 * KIB, seed=n) for n in range(racers)]
    results = await asyncio.gather(
        *(store.put("race/one-key", upload(content)) for content in contents), return_exceptions=True
    )

    winners = [result for result in results if isinstance(result, BlobInfo)]
    assert len(winners) == 1, results
    assert all(isinstance(result, BlobExists) for result in results if result not in winners), results
    winning_content = contents[results.index(winners[0])]
    assert await read(store, "race/one-key") == winning_content
    assert (await store.head("race/one-key")) == winners[0]


async def test_a_blob_longer_than_several_read_ranges_comes_back_whole(store: BlobStore) -> None:
    # past the Azure store's first range (4 MiB) and a full read range (16 MiB) after it
    content = synthetic(21 * MIB + 123)
    await store.put("anpr/reads.csv", chunked(content))

    assert await read(store, "anpr/reads.csv") == content


RANGED_SIZE = 1 * MIB + 300 * KIB


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param(0, 0, slice(0, 1), id="first byte"),
        pytest.param(MIB - 100, MIB + 99, slice(MIB - 100, MIB + 100), id="middle slice across 1 MiB"),
        pytest.param(RANGED_SIZE - 1, RANGED_SIZE - 1, slice(RANGED_SIZE - 1, None), id="last byte"),
        pytest.param(RANGED_SIZE - 5000, None, slice(RANGED_SIZE - 5000, None), id="open-ended"),
        pytest.param(None, 99, slice(0, 100), id="first hundred bytes"),
        pytest.param(RANGED_SIZE - 10, RANGED_SIZE + 50, slice(RANGED_SIZE - 10, None), id="end clamped"),
    ],
)
async def test_a_ranged_get_returns_exactly_the_inclusive_range(
    store: BlobStore, start: int | None, end: int | None, expected: slice
) -> None:
    content = synthetic(RANGED_SIZE)
    await store.put("cctv/clip", chunked(content))

    assert await read(store, "cctv/clip", start=start, end=end) == content[expected]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        pytest.param(100, None, id="start at the end"),
        pytest.param(500, 600, id="start past the end"),
        pytest.param(10, 5, id="end before start"),
        pytest.param(-1, None, id="negative start"),
        pytest.param(None, -3, id="negative end"),
    ],
)
async def test_a_bad_range_is_refused(store: BlobStore, start: int | None, end: int | None) -> None:
    await store.put("notes/n-1", chunked(synthetic(100)))

    with pytest.raises(InvalidRange):
        await read(store, "notes/n-1", start=start, end=end)


async def test_a_missing_key_has_no_head_and_cannot_be_read(store: BlobStore) -> None:
    await store.put("exhibits/present", chunked(b"x"))

    assert await store.head("exhibits/absent") is None
    assert await store.head("exhibits") is None, "a prefix of a key is not a blob"
    with pytest.raises(BlobNotFound):
        await read(store, "exhibits/absent")


@pytest.mark.parametrize(
    "key",
    [
        "",
        "/leading-slash",
        "trailing-slash/",
        "double//slash",
        "../escape",
        "exhibits/../escape",
        "a..b",
        "./here",
        ".hidden",
        "ends-with-dot.",
        "with space",
        "back\\slash",
        "nul\x00byte",
        "caf\u00e9",
        "x" * 1025,
    ],
)
async def test_an_invalid_key_is_rejected_by_every_operation(store: BlobStore, key: str) -> None:
    with pytest.raises(InvalidKey):
        await store.put(key, chunked(b"content"))
    with pytest.raises(InvalidKey):
        await store.head(key)
    with pytest.raises(InvalidKey):
        await read(store, key)


async def test_an_empty_blob_round_trips(store: BlobStore) -> None:
    stored = await store.put("empty/one", chunked(b""))

    assert stored.size == 0
    assert stored.sha256 == hashlib.sha256(b"").hexdigest()
    assert await read(store, "empty/one") == b""
    assert await store.head("empty/one") == stored
    with pytest.raises(InvalidRange):
        await read(store, "empty/one", start=0, end=0)


async def test_a_key_can_be_a_blob_and_the_prefix_of_another(store: BlobStore) -> None:
    await store.put("case/c-1/exhibit", chunked(b"the exhibit"))
    await store.put("case/c-1", chunked(b"the case file"))

    assert await read(store, "case/c-1/exhibit") == b"the exhibit"
    assert await read(store, "case/c-1") == b"the case file"


async def test_a_digest_mismatch_stores_nothing(store: BlobStore) -> None:
    content = b"body-worn video"
    wrong = hashlib.sha256(b"something else").hexdigest()

    with pytest.raises(DigestMismatch):
        await store.put("bwv/clip", chunked(content), expected_sha256=wrong)

    assert await store.head("bwv/clip") is None
    stored = await store.put("bwv/clip", chunked(content), expected_sha256=hashlib.sha256(content).hexdigest().upper())
    assert stored.sha256 == hashlib.sha256(content).hexdigest()


async def test_a_fresh_store_is_ready(store: BlobStore) -> None:
    await store.ping()
