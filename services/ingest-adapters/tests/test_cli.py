"""`precise ingest` against a platform started with `precise run` on a free port, as an operator runs it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

PRECISE = str(Path(sys.executable).with_name("precise"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    env = os.environ | {"PRECISE_PROFILE": "embedded", "PRECISE_DATA_DIR": str(tmp_path / "data")}
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [PRECISE, "run", "--target", "ingest-adapters", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/ingest/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError("precise run did not become ready")
        yield url, env
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_ingest_uploads_waits_and_prints_the_counts(
    platform: tuple[str, dict[str, str]], synthetic: Path, tmp_path: Path
) -> None:
    url, env = platform
    nominals = synthetic / "pnc" / "nominals.csv"

    done = subprocess.run(
        [PRECISE, "ingest", str(nominals), "--source", "pnc", "--url", url],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    batch = json.loads(done.stdout)
    rows = nominals.read_bytes().count(b"\r\n") - 1
    assert batch["status"] == "completed"
    assert batch["counts"] == {"read": rows, "accepted": rows, "rejected": 0, "duplicate": 0}

    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"not,a,pnc,export\r\n")
    failed = subprocess.run(
        [PRECISE, "ingest", str(broken), "--source", "pnc", "--url", url],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert failed.returncode == 1
    assert "not a PNC nominal export" in json.loads(failed.stdout)["failure_reason"]
