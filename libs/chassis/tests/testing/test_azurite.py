"""Starting Azurite for tests and dev: a clear message when it is not installed or cannot start."""

from __future__ import annotations

from pathlib import Path

import pytest
from azure.storage.blob.aio import BlobServiceClient

from precise_chassis.testing.azurite import AzuriteUnavailable, azurite, azurite_executable
from precise_chassis.testing.services import reachable


def test_a_missing_install_says_how_to_fix_it(tmp_path: Path) -> None:
    with pytest.raises(AzuriteUnavailable, match=r"run `make install` \(npm ci\) first"):
        azurite_executable(tmp_path)


def test_an_azurite_that_exits_at_once_is_reported_with_its_output(tmp_path: Path) -> None:
    broken = tmp_path / "azurite-blob"
    broken.write_text("#!/bin/sh\necho 'cannot listen: address in use' >&2\nexit 3\n")
    broken.chmod(0o755)

    with (
        pytest.raises(AzuriteUnavailable, match="exited with 3: cannot listen: address in use"),
        azurite(executable=broken),
    ):
        pass


@pytest.mark.integration
async def test_azurite_serves_blobs_until_the_context_ends() -> None:
    with azurite() as connection_string:
        async with BlobServiceClient.from_connection_string(connection_string) as service:
            await service.create_container("started")
            assert [c.name async for c in service.list_containers()] == ["started"]
        port = int(connection_string.split("BlobEndpoint=http://127.0.0.1:")[1].split("/")[0])

    assert not reachable("127.0.0.1", port)
