"""Which blob store a service gets in each profile."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from azure.storage.blob.aio import BlobServiceClient

from precise_chassis.blob.azure import AzureBlobStore
from precise_chassis.blob.factory import blob_store_for
from precise_chassis.blob.local import LocalBlobStore
from precise_chassis.settings import PlatformSettings, Profile


async def _upload() -> AsyncIterator[bytes]:
    yield b"exhibit"


async def test_the_embedded_profile_keeps_blobs_in_the_data_folder(tmp_path: Path) -> None:
    settings = PlatformSettings(profile=Profile.EMBEDDED, data_dir=tmp_path, blob_container_prefix="t1-")
    store = blob_store_for(settings, "evidence-vault")

    assert isinstance(store, LocalBlobStore)
    assert store.container == "t1-evidence-vault"
    await store.put("exhibits/e1", _upload())
    assert (tmp_path / "blobs" / "t1-evidence-vault" / "exhibits" / "e1").is_dir()


@pytest.mark.integration
async def test_the_local_profile_uses_the_configured_azurite(azurite_connection: str) -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}-"
    settings = PlatformSettings(profile=Profile.LOCAL, blob_connection=azurite_connection, blob_container_prefix=prefix)
    store = blob_store_for(settings, "evidence-vault")
    assert isinstance(store, AzureBlobStore)
    try:
        await store.put("exhibits/e1", _upload())
        async with BlobServiceClient.from_connection_string(azurite_connection) as admin:
            container = admin.get_container_client(f"{prefix}evidence-vault")
            assert [blob.name async for blob in container.list_blobs()] == ["exhibits/e1"]
            await container.delete_container()
    finally:
        await store.close()


def test_the_azure_profile_needs_an_account() -> None:
    settings = PlatformSettings(profile=Profile.AZURE, blob_connection=None, blob_account_url=None)

    with pytest.raises(ValueError, match="PRECISE_BLOB_ACCOUNT_URL"):
        blob_store_for(settings, "evidence-vault")
