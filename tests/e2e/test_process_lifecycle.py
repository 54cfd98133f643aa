"""Processes die and stop: an event waits in the broker for a consumer that was killed and is handled
exactly once when it comes back; SIGTERM stops a process cleanly within its grace period."""

from __future__ import annotations

import signal
import time
from typing import TYPE_CHECKING

import pytest
from harness import GRACE_SECONDS, eventually

from precise_probe.contracts import DESK, ECHO

if TYPE_CHECKING:
    from conftest import Platform

pytestmark = pytest.mark.e2e


def test_a_probe_sent_while_the_echo_process_is_dead_is_echoed_once_after_it_restarts(
    platform: Platform,
) -> None:
    probes = platform.probes
    _desk, echo = platform.start(DESK, ECHO)  # its first start declares probe-echo's queue
    assert echo.kill() == -signal.SIGKILL

    probe_id = probes.request("Synthetic probe sent while probe-echo is down")
    eventually(lambda: platform.queued(ECHO) or None, "ProbeRequested to wait for probe-echo", within=10)
    assert probes.read(probe_id)["status"] == "requested"

    echo.start()
    echo.wait_ready()
    probe = probes.echoed(probe_id)

    assert probe["echoed_text"] == "SYNTHETIC PROBE SENT WHILE PROBE-ECHO IS DOWN"
    assert probes.echo_count(probe_id) == 1
    assert platform.queued(ECHO) == 0


def test_sigterm_stops_a_process_cleanly_within_its_grace_period(platform: Platform) -> None:
    (both,) = platform.start(f"{DESK},{ECHO}")
    hosted = platform.http.get(f"{both.root_url}/healthz").json()["services"]
    assert hosted == {DESK: f"/{DESK}", ECHO: f"/{ECHO}"}
    started = time.monotonic()

    exit_code = both.terminate(bound=GRACE_SECONDS + 2)

    assert time.monotonic() - started < GRACE_SECONDS + 2, "the process had to be killed"
    assert exit_code == 0, f"SIGTERM ended the process with exit code {exit_code}"
