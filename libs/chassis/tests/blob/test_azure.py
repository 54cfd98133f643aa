"""The Azure adapter on Azurite: what only Azure can get wrong (staged blocks, containers, the endpoint)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from azure.core.pipeline import PipelineResponse
from azure.storage.blob.aio import BlobServiceClient

from precise_chassis.blob.azure import FIRST_RANGE, READ_RANGE, AzureBlobStore
from precise_chassis.blob.port import BlobError, BlobNotFound, BlobStoreUnavailable
from precise_chassis.settings import azurite_connection_string
from precise_chassis.testing.services import reachable

pytestmark = pytest.mark.integration


async def test_a_put_whose_stream_fails_half_way_leaves_no_blob(azurite_connection: str) -> None:
    container = f"test-{uuid.uuid4().hex[:16]}"
    service = BlobServiceClient.from_connection_string(azurite_connection)
    store = AzureBlobStore(service, container, block_size=64 * 1024)  # several blocks staged before it breaks

    async def upload_that_breaks() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b"\x02" * 64 * 1024
        raise ConnectionResetError("the officer's phone lost signal")

    async def upload() -> AsyncIterator[bytes]:
        yield b"the retried upload"

    try:
        with pytest.raises(ConnectionResetError):
            await store.put("exhibits/ex-9/video", upload_that_breaks())

        assert await store.head("exhibits/ex-9/video") is None
        with pytest.raises(BlobNotFound):
            [chunk async for chunk in store.get("exhibits/ex-9/video")]
        assert [blob.name async for blob in service.get_container_client(container).list_blobs()] == []

        await store.put("exhibits/ex-9/video", upload())
        assert b"".join([c async for c in store.get("exhibits/ex-9/video")]) == b"the retried upload"
    finally:
        await service.delete_container(container)
        await store.close()


async def test_ping_creates_the_service_container(azurite_connection: str) -> None:
    container = f"test-{uuid.uuid4().hex[:16]}"
    store = AzureBlobStore.from_connection_string(azurite_connection, container)
    async with BlobServiceClient.from_connection_string(azurite_connection) as admin:
        try:
            await store.ping()
            assert await admin.get_container_client(container).exists()
        finally:
            await admin.delete_container(container)
            await store.close()


async def test_ping_reports_an_unreachable_account() -> None:
    port = 1  # nothing listens on tcpmux here
    assert not reachable("127.0.0.1", port)
    service = BlobServiceClient.from_connection_string(azurite_connection_string(port), retry_total=0)
    store = AzureBlobStore(service, "evidence-vault")
    try:
        with pytest.raises(BlobStoreUnavailable, match="evidence-vault"):
            await store.ping()
    finally:
        await store.close()


async def test_a_blob_written_around_the_store_is_reported_not_misread(
    azure_store: AzureBlobStore, azurite_connection: str
) -> None:
    await azure_store.ping()
    async with BlobServiceClient.from_connection_string(azurite_connection) as admin:
        await admin.get_blob_client(azure_store.container, "stray").upload_blob(b"no digest recorded")

    with pytest.raises(BlobError, match="no sha256 metadata"):
        await azure_store.head("stray")


async def test_a_read_hands_over_the_first_range_before_fetching_the_next(azurite_connection: str) -> None:
    """What reads a stored file (an ANPR export's parser) starts on its first range while the rest comes."""
    requests: list[str] = []

    def seen(response: PipelineResponse[Any, Any]) -> None:
        requests.append(response.http_request.method)

    container = f"test-{uuid.uuid4().hex[:16]}"
    service = BlobServiceClient.from_connection_string(
        azurite_connection, max_single_get_size=FIRST_RANGE, max_chunk_get_size=READ_RANGE, raw_response_hook=seen
    )
    store = AzureBlobStore(service, container)
    content = bytes(range(256)) * (FIRST_RANGE // 256) + b"the rest of the reads"

    async def upload() -> AsyncIterator[bytes]:
        yield content

    try:
        await store.put("anpr/reads.csv", upload())
        requests.clear()
        blocks = store.get("anpr/reads.csv")
        first = await anext(blocks)
        assert first == content[:FIRST_RANGE]
        assert requests == ["HEAD", "GET"]  # the blob's size and digest, then its first range only
        assert first + b"".join([block async for block in blocks]) == content
        assert requests == ["HEAD", "GET", "GET"]
    finally:
        await service.delete_container(container)
        await store.close()
