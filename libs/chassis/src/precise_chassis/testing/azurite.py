"""Run Azurite's blob service (installed from npm into the repo's node_modules) for the life of a test
session or a dev command:

    with azurite() as connection_string:
        store = AzureBlobStore.from_connection_string(connection_string, "my-container")
"""

from __future__ import annotations

import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from precise_chassis.settings import azurite_connection_string
from precise_chassis.testing.services import reachable

HOST = "127.0.0.1"
_EXECUTABLE = Path("node_modules") / ".bin" / "azurite-blob"


class AzuriteUnavailable(RuntimeError):
    """Azurite is not installed or did not start."""


def azurite_executable(search_from: Path | None = None) -> Path:
    """node_modules/.bin/azurite-blob in the nearest folder above `search_from` (default: here, then cwd)."""
    starts = [search_from] if search_from is not None else [Path(__file__).resolve(), Path.cwd()]
    for start in starts:
        for folder in (start, *start.parents):
            if (folder / _EXECUTABLE).is_file():
                return folder / _EXECUTABLE
    raise AzuriteUnavailable(
        f"{_EXECUTABLE} was not found above {', '.join(map(str, starts))}: run `make install` (npm ci) first"
    )


@contextmanager
def azurite(*, executable: Path | None = None, start_timeout: float = 30.0) -> Iterator[str]:
    """Start Azurite on a free port, its blobs in memory and its log in a temporary folder; yield its connection
    string."""
    command = executable or azurite_executable()
    with tempfile.TemporaryDirectory(prefix="precise-azurite-") as workspace:
        port = _free_port()
        log_path = Path(workspace) / "azurite.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 - a fixed program and arguments
                [
                    str(command),
                    "--skipApiVersionCheck",
                    "--loose",
                    "--disableTelemetry",
                    "--silent",
                    "--blobHost",
                    HOST,
                    "--blobPort",
                    str(port),
                    # its blobs need live no longer than the process: in memory, Azurite serves a read ~30%
                    # cheaper and does no periodic work on its files after an upload (benchmarks/README.md)
                    "--inMemoryPersistence",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
            try:
                _wait_until_listening(process, port, start_timeout, log_path)
                yield azurite_connection_string(port, HOST)
            finally:
                _stop(process)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_listening(process: subprocess.Popen[bytes], port: int, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not reachable(HOST, port, timeout=0.2):
        if process.poll() is not None:
            raise AzuriteUnavailable(f"Azurite exited with {process.returncode}: {log.read_text().strip()}")
        if time.monotonic() > deadline:
            raise AzuriteUnavailable(f"Azurite did not listen on {HOST}:{port} within {timeout} s")
        time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
