"""The CPU time each part of the host spent while a benchmark ran, read from /proc (Linux): where the time per
record goes, printed beside the rate. On a host whose cores are all busy the rate is the cores divided by the
CPU time a record costs, so this says which part to make cheaper.

Parts: the benchmark's own process (the service), the processes its fork server starts (ingest's readers), the
consumer process, and PostgreSQL, RabbitMQ and Azurite by their process names. A process that starts during the
run counts from zero; one that ends counts up to its last sample. Each sample reads only those processes (and
each new process once), so sampling costs the service process about 1% of a core.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE_SECONDS = 0.1
BY_NAME = {"postgres": "PostgreSQL", "beam.smp": "RabbitMQ", "node": "Azurite"}
PARTS = ("reader", "service", "PostgreSQL", "consumer", "RabbitMQ", "Azurite")
_PROC = Path("/proc")
_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class _Process:
    name: str
    parent: int
    cpu: float  # seconds, user and system


def _read(pid: int) -> _Process | None:
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:  # it ended
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    ticks = int(fields[11]) + int(fields[12])
    return _Process(stat[stat.index("(") + 1 : stat.rindex(")")], int(fields[1]), ticks / _TICKS_PER_SECOND)


def _pids() -> list[int]:
    return [int(entry) for entry in os.listdir(_PROC) if entry.isdigit()]


def _is_fork_server(pid: int) -> bool:
    try:
        return b"multiprocessing.forkserver" in (_PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return False


@dataclass
class CpuShare:
    """CPU seconds by part, complete once `sampled` has ended."""

    seconds: dict[str, float] = field(default_factory=dict)

    def per_record(self, records: int, *, names: dict[str, str] | None = None) -> str:
        """Microseconds a record by part (the parts that ran, under `names` where given), their total, and the
        rate the cores would allow at that cost."""
        names = names or {}
        ran = [part for part in PARTS if part in self.seconds]
        parts = [f"{names.get(part, part)} {self.seconds[part] / records * 1e6:.1f}" for part in ran]
        total = sum(self.seconds.values()) / records
        cores = os.cpu_count() or 1
        bound = f"; {cores} cores allow at most {cores / total:,.0f} a second at this cost" if total else ""
        return f"{', '.join(parts)}; total {total * 1e6:.1f} us{bound}"


class _Sampler:
    def __init__(self, consumer: int) -> None:
        me = os.getpid()
        self._fixed = {me: "service", consumer: "consumer"}
        self._servers = {pid for pid in _pids() if (p := _read(pid)) and p.parent == me and _is_fork_server(pid)}
        self._parts: dict[int, str] = {}
        self._ignored: set[int] = set()
        self.first: dict[int, _Process] = {}
        self.last: dict[int, _Process] = {}

    def sample(self, *, first: bool = False) -> None:
        for pid in _pids():
            if pid in self._ignored:
                continue
            process = _read(pid)
            if process is None:
                continue
            if pid not in self._parts:
                part = self._fixed.get(pid) or ("reader" if process.parent in self._servers else None)
                part = part or BY_NAME.get(process.name)
                if part is None:
                    self._ignored.add(pid)
                    continue
                self._parts[pid] = part
                if first:
                    self.first[pid] = process
            self.last[pid] = process

    def share(self) -> dict[str, float]:
        seconds: dict[str, float] = {}
        for pid, process in self.last.items():
            before = self.first[pid].cpu if pid in self.first else 0.0
            seconds[self._parts[pid]] = seconds.get(self._parts[pid], 0.0) + process.cpu - before
        return seconds


@contextmanager
def sampled(consumer: int) -> Iterator[CpuShare]:
    """Sample /proc until the block ends."""
    share = CpuShare()
    if not (_PROC / "self" / "stat").exists():
        yield share
        return
    sampler = _Sampler(consumer)
    sampler.sample(first=True)
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(SAMPLE_SECONDS):
            sampler.sample()

    thread = threading.Thread(target=run, name="cpu-share", daemon=True)
    thread.start()
    try:
        yield share
    finally:
        stop.set()
        thread.join()
        sampler.sample()
        share.seconds.update(sampler.share())
