"""The drop container of the local and azure profiles, on Azurite: a blob dropped under `<source>/` is
offered once and, once marked done, never again; a legacy blob one folder deeper carries its mapping."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from azure.storage.blob.aio import BlobServiceClient, ContainerClient
from precise_ingest.dropbox import DROP, DropContainer, Dropped

from precise_chassis.settings import PlatformSettings, Profile

pytestmark = pytest.mark.integration

SOURCES = {"pnc": object(), "legacy": object()}  # waiting() looks only at the keys
NOMINALS = b"record_id,pnc_id\r\nN00000001,2001/0000001A\r\n"


@pytest.fixture
def platform(azurite_connection: str, tmp_path: Path) -> PlatformSettings:
    """Local-profile settings with a container prefix no other test uses."""
    return PlatformSettings(
        profile=Profile.LOCAL,
        data_dir=tmp_path,
        blob_connection=azurite_connection,
        blob_container_prefix=f"test-{uuid.uuid4().hex[:12]}-",
    )


@pytest.fixture
async def drop_box(platform: PlatformSettings) -> AsyncIterator[DropContainer]:
    box = DropContainer.for_settings(platform)
    try:
        yield box
    finally:
        await box.close()


@pytest.fixture
async def container(drop_box: DropContainer, platform: PlatformSettings) -> AsyncIterator[ContainerClient]:
    """The drop container as an operator's upload tool sees it, created by the box's first look."""
    assert await drop_box.waiting(SOURCES) == []
    async with BlobServiceClient.from_connection_string(str(platform.blob_connection)) as service:
        client = service.get_container_client(f"{platform.blob_container_prefix}{DROP}")
        try:
            yield client
        finally:
            await client.delete_container()


async def content_of(dropped: Dropped) -> bytes:
    return b"".join([block async for block in dropped.content()])


async def test_a_dropped_pnc_file_is_offered_once_with_its_bytes_and_not_after_it_is_done(
    drop_box: DropContainer, container: ContainerClient
) -> None:
    await container.upload_blob("pnc/nominals.csv", NOMINALS)

    (dropped,) = await drop_box.waiting(SOURCES)

    assert (dropped.source, dropped.mapping, dropped.name) == ("pnc", None, "nominals.csv")
    assert await content_of(dropped) == NOMINALS
    await drop_box.done(dropped, "b" * 32)
    assert await drop_box.waiting(SOURCES) == []
    properties = await container.get_blob_client("pnc/nominals.csv").get_blob_properties()
    assert properties.metadata["precise_batch"] == "b" * 32


async def test_marking_a_file_done_keeps_the_metadata_it_was_dropped_with(
    drop_box: DropContainer, container: ContainerClient
) -> None:
    await container.upload_blob("pnc/nominals.csv", NOMINALS, metadata={"sender": "PNC-LINK"})
    (dropped,) = await drop_box.waiting(SOURCES)

    await drop_box.done(dropped, "c" * 32)

    properties = await container.get_blob_client("pnc/nominals.csv").get_blob_properties()
    assert properties.metadata == {"sender": "PNC-LINK", "precise_batch": "c" * 32}


async def test_a_legacy_export_carries_the_mapping_named_by_its_folder(
    drop_box: DropContainer, container: ContainerClient
) -> None:
    await container.upload_blob("legacy/custody/export.csv", b"id,name\r\n1,Synthetic\r\n")

    (dropped,) = await drop_box.waiting(SOURCES)

    assert (dropped.source, dropped.mapping, dropped.name) == ("legacy", "custody", "export.csv")
    assert dropped.location == "legacy/custody/export.csv"


async def test_blobs_of_unknown_sources_or_too_deep_or_outside_a_source_folder_are_left_alone(
    drop_box: DropContainer, container: ContainerClient
) -> None:
    for name in ("anpr-typo/reads.csv", "nominals.csv", "pnc/", "legacy/custody/2026/export.csv"):
        await container.upload_blob(name, NOMINALS)
    await container.upload_blob("pnc/nominals.csv", NOMINALS)

    waiting = await drop_box.waiting(SOURCES)

    assert [dropped.location for dropped in waiting] == ["pnc/nominals.csv"]
