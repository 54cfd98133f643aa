"""pytest fixtures for the real services of the local profile, shared by every package's tests (loaded as
the `precise` pytest plugin through the chassis's `pytest11` entry point)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from precise_chassis.testing import services
from precise_chassis.testing.azurite import AzuriteUnavailable, azurite


@pytest.fixture(scope="session")
def azurite_connection() -> Iterator[str]:
    """A connection string to an Azurite this test session started (one for the whole session)."""
    try:
        with azurite() as connection_string:
            yield connection_string
    except AzuriteUnavailable as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The PostgreSQL of this machine, or one from testcontainers, or a failure naming what is missing."""
    with ExitStack() as stack:
        yield services.postgres_url(stack)
