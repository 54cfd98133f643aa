"""Files dropped for ingest without an HTTP call: a folder in the embedded profile
(`<data_dir>/ingest-drop/<source>/`), a blob container `<prefix>ingest-drop` with names `<source>/...` in the
local and azure profiles. A legacy export goes one level deeper, in a folder named after its mapping
(`legacy/custody/export.csv`). Each file is taken in once: the folder moves it into `.done/` beside it, the
container marks it with metadata `precise_batch`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from precise_chassis.settings import PlatformSettings, Profile, azurite_connection_string
from precise_ingest.settings import IngestSettings

DROP = "ingest-drop"
DONE = ".done"
BATCH_METADATA = "precise_batch"
READ_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Dropped:
    """A file waiting in the drop box."""

    source: str
    mapping: str | None
    name: str
    location: str  # the path or blob name, for the box itself
    content: Callable[[], AsyncIterator[bytes]]


class DropBox(Protocol):
    async def waiting(self, sources: Mapping[str, Any]) -> list[Dropped]:
        """Files not yet taken in, for the known sources."""
        ...

    async def done(self, dropped: Dropped, batch_id: str) -> None:
        """Mark the file taken in, so no later poll takes it again."""
        ...

    async def close(self) -> None: ...


def drop_box_for(platform: PlatformSettings, settings: IngestSettings) -> DropBox:
    if platform.profile is Profile.EMBEDDED:
        return DropFolder(platform.data_dir / DROP, settle_seconds=settings.drop_settle_seconds)
    return DropContainer.for_settings(platform)


class DropFolder:
    def __init__(self, root: Path, *, settle_seconds: float) -> None:
        self.root = root
        self.settle_seconds = settle_seconds

    async def waiting(self, sources: Mapping[str, Any]) -> list[Dropped]:
        return await asyncio.to_thread(self._scan, list(sources))

    def _scan(self, sources: list[str]) -> list[Dropped]:
        settled_before = time.time() - self.settle_seconds
        found: list[Dropped] = []
        for source in sources:
            folder = self.root / source
            folder.mkdir(parents=True, exist_ok=True)  # shows an operator where to drop
            places = [(folder, None)] + [(sub, sub.name) for sub in _visible(folder) if sub.is_dir()]
            for place, mapping in places:
                for path in sorted(_visible(place)):
                    # a file still being written (changed within the settle time) is left for the next poll
                    if path.is_file() and path.stat().st_mtime < settled_before:
                        found.append(Dropped(source, mapping, path.name, str(path), _file_chunks(path)))
        return found

    async def done(self, dropped: Dropped, batch_id: str) -> None:
        path = Path(dropped.location)
        target = path.parent / DONE / f"{batch_id}-{path.name}"
        target.parent.mkdir(exist_ok=True)
        await asyncio.to_thread(path.rename, target)

    async def close(self) -> None:
        return None


def _visible(folder: Path) -> list[Path]:
    return [path for path in folder.iterdir() if not path.name.startswith(".")]


def _file_chunks(path: Path) -> Callable[[], AsyncIterator[bytes]]:
    async def chunks() -> AsyncIterator[bytes]:
        with path.open("rb") as file:
            while block := await asyncio.to_thread(file.read, READ_BYTES):
                yield block

    return chunks


class DropContainer:
    """The drop container on Azure Blob Storage or Azurite."""

    def __init__(self, container: Any, *, closers: list[Any]) -> None:
        self._container = container
        self._closers = closers
        self._ready = False

    @classmethod
    def for_settings(cls, platform: PlatformSettings) -> DropContainer:
        # imported here: the Azure SDK is slow to import and the embedded profile never needs it
        from azure.storage.blob.aio import BlobServiceClient

        name = f"{platform.blob_container_prefix}{DROP}"
        connection = platform.blob_connection or (
            azurite_connection_string() if platform.profile is Profile.LOCAL else None
        )
        if connection is not None:
            service = BlobServiceClient.from_connection_string(connection)
            return cls(service.get_container_client(name), closers=[service])
        if platform.blob_account_url is None:
            raise ValueError("the azure profile needs PRECISE_BLOB_ACCOUNT_URL or PRECISE_BLOB_CONNECTION")
        from azure.identity.aio import DefaultAzureCredential

        credential = DefaultAzureCredential()
        service = BlobServiceClient(platform.blob_account_url, credential=credential)
        return cls(service.get_container_client(name), closers=[service, credential])

    async def waiting(self, sources: Mapping[str, Any]) -> list[Dropped]:
        from azure.core.exceptions import ResourceExistsError

        if not self._ready:
            if not await self._container.exists():
                with contextlib.suppress(ResourceExistsError):
                    await self._container.create_container()
            self._ready = True
        found: list[Dropped] = []
        async for blob in self._container.list_blobs(include=["metadata"]):
            source, _, rest = str(blob.name).partition("/")
            if source not in sources or not rest or BATCH_METADATA in (blob.metadata or {}):
                continue
            mapping, _, name = rest.rpartition("/")
            if "/" in mapping:
                continue  # deeper than <source>/<mapping>/<file>: not a drop
            found.append(Dropped(source, mapping or None, name, str(blob.name), self._blob_chunks(str(blob.name))))
        return found

    def _blob_chunks(self, name: str) -> Callable[[], AsyncIterator[bytes]]:
        async def chunks() -> AsyncIterator[bytes]:
            download = await self._container.download_blob(name)
            async for block in download.chunks():
                yield block

        return chunks

    async def done(self, dropped: Dropped, batch_id: str) -> None:
        blob = self._container.get_blob_client(dropped.location)
        properties = await blob.get_blob_properties()
        await blob.set_blob_metadata({**(properties.metadata or {}), BATCH_METADATA: batch_id})

    async def close(self) -> None:
        for closer in self._closers:
            await closer.close()
