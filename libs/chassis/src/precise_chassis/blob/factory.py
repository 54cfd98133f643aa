"""The blob store a service gets in each profile: a folder (embedded), Azurite (local), Azure (azure)."""

from __future__ import annotations

from precise_chassis.blob.local import LocalBlobStore
from precise_chassis.blob.port import BlobStore
from precise_chassis.settings import PlatformSettings, Profile, azurite_connection_string


def blob_store_for(settings: PlatformSettings, service: str) -> BlobStore:
    """The store for one service, in its own container `<blob_container_prefix><service>`."""
    container = f"{settings.blob_container_prefix}{service}"
    if settings.profile is Profile.EMBEDDED:
        return LocalBlobStore(settings.data_dir / "blobs", container)
    # imported here: the Azure SDK takes a second to import and the embedded profile never needs it
    from precise_chassis.blob.azure import AzureBlobStore

    if settings.blob_connection is not None:
        return AzureBlobStore.from_connection_string(settings.blob_connection, container)
    if settings.profile is Profile.LOCAL:
        return AzureBlobStore.from_connection_string(azurite_connection_string(), container)
    if settings.blob_account_url is None:
        raise ValueError("the azure profile needs PRECISE_BLOB_ACCOUNT_URL or PRECISE_BLOB_CONNECTION")
    return AzureBlobStore.from_account_url(settings.blob_account_url, container)
