"""The blob store on Azure Blob Storage (azure profile) or Azurite (local profile).

A put stages the stream block by block (hashing each block in a worker thread meanwhile), then commits
the block list with If-None-Match: * so an existing blob is never overwritten: of two racing puts exactly
one commit succeeds. Block ids carry the put's own id, so racing puts never mix each other's blocks. A
put that fails before its commit leaves only uncommitted blocks, which are not a blob and which the
service discards (after a week). The SHA-256 is stored as blob metadata. Reads fetch `READ_RANGE` at a
time after a smaller first range (`FIRST_RANGE`, so what reads the blob starts sooner), which bounds their
memory: a range per request costs the storage service (and Azurite, on a local host) far less than the same
bytes in 4 MiB requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from datetime import datetime
from typing import Any

from azure.core import MatchConditions
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import (
    AzureError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.storage.blob import BlobBlock, ContentSettings
from azure.storage.blob.aio import BlobServiceClient

from precise_chassis.blob.port import (
    DEFAULT_CONTENT_TYPE,
    SHA256_METADATA,
    BlobError,
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

DEFAULT_BLOCK_SIZE = 4 * 1024 * 1024
READ_RANGE = 16 * 1024 * 1024
FIRST_RANGE = 4 * 1024 * 1024  # a download's first response: its reader starts on it while the next range comes
MAX_BLOCKS = 50_000  # Azure's limit per blob: with 4 MiB blocks a blob can hold about 195 GiB


class AzureBlobStore:
    def __init__(
        self,
        service: BlobServiceClient,
        container: str,
        *,
        block_size: int = DEFAULT_BLOCK_SIZE,
        credential: AsyncTokenCredential | None = None,
    ) -> None:
        """Prefer `from_connection_string` or `from_account_url`; `credential` is closed with the store."""
        self.container = validate_container(container)
        self._service = service
        self._container_client = service.get_container_client(self.container)
        self._block_size = block_size
        self._credential = credential
        self._container_ready = False

    @classmethod
    def from_connection_string(
        cls, connection_string: str, container: str, *, block_size: int = DEFAULT_BLOCK_SIZE
    ) -> AzureBlobStore:
        """Azurite or a dev account, authorised by the account key in the connection string."""
        service = BlobServiceClient.from_connection_string(connection_string, **_download_limits(block_size))
        return cls(service, container, block_size=block_size)

    @classmethod
    def from_account_url(
        cls,
        account_url: str,
        container: str,
        *,
        credential: AsyncTokenCredential | None = None,
        block_size: int = DEFAULT_BLOCK_SIZE,
    ) -> AzureBlobStore:
        """A real account with Entra ID: DefaultAzureCredential (managed identity in AKS) unless given."""
        if credential is None:
            from azure.identity.aio import DefaultAzureCredential

            credential = DefaultAzureCredential()
        service = BlobServiceClient(account_url, credential=credential, **_download_limits(block_size))
        return cls(service, container, block_size=block_size, credential=credential)

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
        if not self._container_ready:
            await self._create_container_if_missing()
        blob = self._container_client.get_blob_client(key)
        # Fail before reading a possibly large upload; the commit's condition is what guarantees it.
        if await blob.exists():
            raise BlobExists(key)

        put_id = uuid.uuid4().hex
        digest = ContentDigest()
        block_ids: list[str] = []
        async for block in blocks(chunks, self._block_size):
            if len(block_ids) == MAX_BLOCKS:
                raise BlobError(f"blob {key!r} needs more than {MAX_BLOCKS} blocks: raise the block size")
            block_id = f"{put_id}-{len(block_ids):05d}"  # one length for every id, as Azure requires
            await asyncio.gather(
                asyncio.to_thread(digest.update, block),
                blob.stage_block(block_id, block, length=len(block)),
            )
            block_ids.append(block_id)
        check_expected_sha256(key, expected_sha256, digest.sha256)
        try:
            committed = await blob.commit_block_list(
                [BlobBlock(block_id) for block_id in block_ids],
                content_settings=ContentSettings(content_type=content_type),
                metadata={**user_metadata, SHA256_METADATA: digest.sha256},
                match_condition=MatchConditions.IfMissing,
            )
        except (ResourceExistsError, ResourceModifiedError) as error:  # 409 BlobAlreadyExists / 412
            raise BlobExists(key) from error
        return BlobInfo(
            key=key,
            size=digest.size,
            sha256=digest.sha256,
            content_type=content_type,
            created_at=_as_datetime(committed["last_modified"]),
            metadata=user_metadata,
        )

    async def get(self, key: str, *, start: int | None = None, end: int | None = None) -> AsyncIterator[bytes]:
        # The size comes first so ranges behave exactly as in every adapter (Azurite and Azure differ
        # on a range starting at the end of the blob).
        info = await self.head(key)
        if info is None:
            raise BlobNotFound(key)
        offset, length = resolve_range(start, end, info.size)
        if length == 0:
            return
        blob = self._container_client.get_blob_client(key)
        download = await blob.download_blob(offset=offset, length=length)
        # the first range as soon as it has arrived: the SDK's `chunks()` would hold it back until the next
        # range had come too, and yield them as one READ_RANGE block
        size = FIRST_RANGE
        while block := await download.read(size):
            yield block
            size = READ_RANGE

    async def head(self, key: str) -> BlobInfo | None:
        key = validate_key(key)
        try:
            properties = await self._container_client.get_blob_client(key).get_blob_properties()
        except ResourceNotFoundError:
            return None
        metadata = dict(properties.metadata)
        sha256 = metadata.pop(SHA256_METADATA, None)
        if sha256 is None:
            raise BlobError(f"blob {key!r} has no sha256 metadata: it was not written through this store")
        return BlobInfo(
            key=key,
            size=properties.size,
            sha256=sha256,
            content_type=properties.content_settings.content_type or DEFAULT_CONTENT_TYPE,
            # Not creation_time: that can be when the first block was staged. Blobs here are never
            # modified, so last_modified stays the time of the commit, as put returned it.
            created_at=properties.last_modified,
            metadata=metadata,
        )

    async def ping(self) -> None:
        try:
            await self._create_container_if_missing()
        except AzureError as error:
            raise BlobStoreUnavailable(f"container {self.container!r}: {error}") from error

    async def _create_container_if_missing(self) -> None:
        # Look before creating: in Azure the container comes from Terraform (with its WORM policy) and
        # the service's identity need not be allowed to create one.
        if not await self._container_client.exists():
            with contextlib.suppress(ResourceExistsError):  # another process created it meanwhile
                await self._container_client.create_container()
        self._container_ready = True

    async def close(self) -> None:
        await self._service.close()
        if self._credential is not None:
            await self._credential.close()


def _download_limits(block_size: int) -> dict[str, Any]:
    # The SDK otherwise fetches up to 32 MiB in the first response of a download: an ANPR file's first reads
    # then wait for 32 MiB to arrive (0.1-0.2 s from Azurite here) before any is parsed.
    return {"max_single_get_size": FIRST_RANGE, "max_chunk_get_size": max(block_size, READ_RANGE)}


def _as_datetime(value: object) -> datetime:
    # The SDK types its response dicts loosely; commit_block_list's last_modified is a datetime.
    if not isinstance(value, datetime):
        raise TypeError(f"expected the commit's last_modified as a datetime, got {value!r}")
    return value
