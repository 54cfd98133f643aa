"""Blob stores for the tests: a folder under tmp_path, and Azurite (one per session, started from the
repo's node_modules) with a random container per test that is deleted afterwards."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from azure.storage.blob.aio import BlobServiceClient

from precise_chassis.blob.azure import AzureBlobStore


@pytest.fixture
async def azure_store(azurite_connection: str) -> AsyncIterator[AzureBlobStore]:
    container = f"test-{uuid.uuid4().hex[:16]}"
    service = BlobServiceClient.from_connection_string(azurite_connection)
    store = AzureBlobStore(service, container)
    try:
        yield store
    finally:
        async with BlobServiceClient.from_connection_string(azurite_connection) as admin:
            if await admin.get_container_client(container).exists():
                await admin.delete_container(container)
        await store.close()
