"""Run Precise targets as separate OS processes (`precise run --profile local`) against real PostgreSQL,
RabbitMQ and Azurite, each test under its own schema, topology and container prefixes so that parallel
runs on one machine never meet. Logs go to `.e2e-logs/<test>/<target>.log`."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TypeVar

import aio_pika
import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from precise_chassis.service import Service, discover
from precise_chassis.settings import PlatformSettings, Profile
from precise_chassis.testing import services
from precise_chassis.testing.azurite import azurite
from precise_chassis.testing.rabbitmq import delete_topology
from precise_contracts.registry import Subscription, TopicRegistry, installed_registry
from precise_contracts.topology.rabbitmq import (
    queue_name,
)

REPO = Path(__file__).resolve().parents[2]
LOG_ROOT = REPO / ".e2e-logs"
PRECISE = Path(sys.executable).with_name("precise")
HOST = "127.0.0.1"
READY_WITHIN = 60.0  # generous: a loaded 2-core machine imports slowly
GRACE_SECONDS = 5.0  # the processes' PRECISE_SHUTDOWN_GRACE_SECONDS
KILL_AFTER = GRACE_SECONDS + 5.0  # SIGTERM not honoured by then: SIGKILL

T = TypeVar("T")


@dataclass(frozen=True)
class Backing:
    """The servers every process of a test session shares."""

    database_url: str
    rabbitmq_url: str
    blob_connection: str


@contextmanager
def backing_services() -> Iterator[Backing]:
    """The machine's PostgreSQL and RabbitMQ (or containers, see below), and an Azurite of our own."""
    with ExitStack() as stack:
        if os.environ.get("PRECISE_E2E_CONTAINERS") == "1" and services.docker_available():
            database_url, rabbitmq_url = _containers(stack)
        else:
            database_url, rabbitmq_url = services.postgres_url(stack), services.rabbitmq_url(stack)
        blob_connection = stack.enter_context(azurite())
        yield Backing(database_url, rabbitmq_url, blob_connection)


def _containers(stack: ExitStack) -> tuple[str, str]:
    """Throwaway PostgreSQL and RabbitMQ from testcontainers, even where the machine runs its own."""
    from testcontainers.postgres import PostgresContainer
    from testcontainers.rabbitmq import RabbitMqContainer

    postgres = stack.enter_context(PostgresContainer("postgres:16-alpine", driver="asyncpg"))
    rabbitmq = stack.enter_context(RabbitMqContainer("rabbitmq:3.13-management-alpine"))
    params = rabbitmq.get_connection_params()
    return str(postgres.get_connection_url()), f"amqp://guest:guest@{params.host}:{params.port}/"


def eventually(check: Callable[[], T | None], what: str, *, within: float, every: float = 0.2) -> T:
    """Poll `check` until it returns something other than None; fail naming `what` after `within` s."""
    deadline = time.monotonic() + within
    while (result := check()) is None:
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within:g} s waiting for {what}")
        time.sleep(every)
    return result


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


class PlatformProcess:
    """One `precise run` process hosting one or more targets; it can be stopped, killed and started again."""

    def __init__(self, services: Sequence[Service], env: Mapping[str, str], log_path: Path) -> None:
        self.services = tuple(services)
        self.target = ",".join(s.name for s in services)
        self._env = dict(env)
        self.log_path = log_path
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def root_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        return self._popen().pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        if self.running:
            raise RuntimeError(f"{self.target} is already running")
        self._close_log()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        stamp = datetime.now(UTC).isoformat(timespec="milliseconds")
        self._log.write(f"--- harness {stamp}: starting {self.target} on port {self.port}\n".encode())
        self._log.flush()
        command = [str(PRECISE), "run", "--target", self.target, "--profile", "local", "--test-services"]
        self._process = subprocess.Popen(
            [*command, "--port", str(self.port)],
            cwd=REPO,
            env=self._env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, within: float = READY_WITHIN) -> None:
        """Until every hosted service answers `<prefix>/readyz` with 200; fail at once if the process dies."""
        waiting = [f"{self.root_url}{s.prefix}/readyz" for s in self.services]
        deadline = time.monotonic() + within
        with httpx.Client(timeout=2.0) as client:
            while waiting:
                if not self.running:
                    raise AssertionError(
                        f"{self.target} exited with {self._popen().returncode} while starting:\n{self.tail()}"
                    )
                if time.monotonic() > deadline:
                    raise AssertionError(f"{self.target} not ready within {within:g} s:\n{self.tail()}")
                try:
                    if client.get(waiting[0]).status_code == 200:
                        waiting.pop(0)
                        continue
                except httpx.TransportError:
                    pass  # not listening yet
                time.sleep(0.1)

    def terminate(self, bound: float = KILL_AFTER) -> int:
        """SIGTERM, then SIGKILL if the process has not exited within `bound` s; its exit code."""
        process = self._popen()
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=bound)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._close_log()
        return process.returncode

    def kill(self) -> int:
        """SIGKILL: no shutdown, no flush, as when a node dies."""
        process = self._popen()
        process.kill()
        process.wait()
        self._close_log()
        return process.returncode

    def tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return "(no log)"
        kept = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(f"  {line}" for line in kept)

    def _popen(self) -> subprocess.Popen[bytes]:
        if self._process is None:
            raise RuntimeError(f"{self.target} was never started")
        return self._process

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


class Deployment:
    """The processes one test starts, under prefixes no other run uses, and what they leave behind."""

    def __init__(self, backing: Backing, data_dir: Path, log_dir: Path) -> None:
        run = uuid.uuid4().hex[:10]
        self.backing = backing
        self.log_dir = log_dir
        self.registry: TopicRegistry = installed_registry()
        self.available = discover(include_test_services=True)
        self.settings = PlatformSettings(
            profile=Profile.LOCAL,
            data_dir=data_dir,
            database_url=backing.database_url,
            rabbitmq_url=backing.rabbitmq_url,
            blob_connection=backing.blob_connection,
            schema_prefix=f"e2e_{run}_",
            topology_prefix=f"e2e-{run}-",
            blob_container_prefix=f"e2e-{run}-",
            shutdown_grace_seconds=GRACE_SECONDS,
        )
        self.processes: list[PlatformProcess] = []

    def env(self) -> dict[str, str]:
        # Settings the developer's shell may hold must not leak into the run: only ours count.
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("PRECISE_")}
        s = self.settings
        return inherited | {
            "PYTHONUNBUFFERED": "1",
            "PRECISE_DATA_DIR": str(s.data_dir),
            "PRECISE_DATABASE_URL": s.database_url,
            "PRECISE_RABBITMQ_URL": s.rabbitmq_url,
            "PRECISE_BLOB_CONNECTION": s.blob_connection or "",
            "PRECISE_SCHEMA_PREFIX": s.schema_prefix,
            "PRECISE_TOPOLOGY_PREFIX": s.topology_prefix,
            "PRECISE_BLOB_CONTAINER_PREFIX": s.blob_container_prefix,
            "PRECISE_SHUTDOWN_GRACE_SECONDS": str(s.shutdown_grace_seconds),
        }

    def start(self, *targets: str) -> list[PlatformProcess]:
        """One process per argument (`"a"` or `"a,b"` to host two in one), started together, all ready."""
        started = []
        for target in targets:
            hosted = [self.available[name] for name in target.split(",")]
            process = PlatformProcess(hosted, self.env(), self.log_dir / f"{target.replace(',', '+')}.log")
            process.start()
            self.processes.append(process)
            started.append(process)
        for process in started:
            process.wait_ready()
        return started

    def process_of(self, target: str) -> PlatformProcess:
        for process in self.processes:
            if any(service.name == target for service in process.services):
                return process
        raise KeyError(f"no process hosts {target}")

    def subscriptions(self) -> list[Subscription]:
        hosted = {service.name for process in self.processes for service in process.services}
        return [sub for sub in self.registry.subscriptions() if sub.service in hosted]

    def queued(self, subscription: Subscription) -> int:
        """Messages waiting in the subscription's queue (not yet delivered to any consumer)."""

        async def count() -> int:
            connection = await aio_pika.connect(self.settings.rabbitmq_url)
            async with connection:
                channel = await connection.channel()
                queue = await channel.get_queue(queue_name(subscription, self.settings.topology_prefix))
                return int(queue.declaration_result.message_count or 0)

        return asyncio.run(count())

    def stop(self) -> None:
        for process in self.processes:
            if process.running:
                process.terminate()

    def tails(self) -> str:
        return "\n".join(f"{p.target} ({p.log_path}):\n{p.tail()}" for p in self.processes)

    def clean_up(self) -> None:
        """Drop the run's schemas and broker topology; the stores are shared with other runs."""
        asyncio.run(self._drop_schemas())
        asyncio.run(self._delete_topology())

    async def _drop_schemas(self) -> None:
        engine = create_async_engine(self.settings.database_url)
        try:
            async with engine.begin() as conn:
                for name in {s.name for p in self.processes for s in p.services}:
                    schema = self.settings.schema_for(name)
                    if not re.fullmatch(r"[a-z0-9_]+", schema):
                        raise ValueError(f"refusing to drop unexpected schema {schema!r}")
                    await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        finally:
            await engine.dispose()

    async def _delete_topology(self) -> None:
        topics = [topic.name for topic in self.registry.topics]
        await delete_topology(self.settings.rabbitmq_url, self.settings.topology_prefix, topics, self.subscriptions())
