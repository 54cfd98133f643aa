"""The `platform` fixture: a test's own deployment of Precise processes, its tokens and an HTTP client.

Logs of a passing test are deleted; a failing test keeps them in `.e2e-logs/<test>/` and shows their tail.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from precise_chassis.auth.dev_issuer import issue_dev_token
from precise_chassis.auth.roles import Role
from precise_contracts.registry import Subscription
from precise_probe.contracts import DESK, ECHO

# pytest's importlib mode puts nothing on sys.path; the harness sits beside this file.
sys.path.insert(0, str(Path(__file__).parent))

from harness import LOG_ROOT, Backing, Deployment, PlatformProcess, backing_services, eventually

ECHO_WITHIN = 20.0
PURPOSE = "INC-20261122-0042; e2e probe of the request, event and read path"
KEEP_LOGS = pytest.StashKey[bool]()


class Platform:
    """What a test drives: processes it starts, their URLs, dev tokens and one HTTP client."""

    def __init__(self, deployment: Deployment, http: httpx.Client) -> None:
        self.deployment = deployment
        self.http = http
        self.probes = Probes(self)

    def start(self, *targets: str) -> list[PlatformProcess]:
        """One process per argument ("probe-desk", or "probe-desk,probe-echo" for two in one), all ready."""
        return self.deployment.start(*targets)

    def process(self, target: str) -> PlatformProcess:
        return self.deployment.process_of(target)

    def root_url(self, target: str) -> str:
        return self.process(target).root_url

    def base_url(self, target: str) -> str:
        """The target's API, mounted under its prefix, as the ingress serves it."""
        return self.root_url(target) + self.deployment.available[target].prefix

    def token(self, role: Role, sub: str = "E2E0001") -> str:
        return issue_dev_token(self.deployment.settings, roles=[role], sub=sub, ttl_minutes=10)

    def headers(self, role: Role, *, purpose: str | None = PURPOSE) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token(role)}"}
        if purpose is not None:
            headers["Precise-Purpose"] = purpose
        return headers

    def subscription(self, target: str) -> Subscription:
        (subscription,) = self.deployment.registry.subscriptions(target)
        return subscription

    def queued(self, target: str) -> int:
        """Events waiting in the broker for the target's one subscription."""
        return self.deployment.queued(self.subscription(target))


class Probes:
    """Drives the test-only probe services the way a tester would, over HTTP."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.http = platform.http

    def request(self, text: str) -> str:
        """POST a probe to probe-desk; its id."""
        answer = self.http.post(
            f"{self.platform.base_url(DESK)}/probes",
            json={"text": text},
            headers=self.platform.headers(Role.INGEST_SYSTEM),
        )
        assert answer.status_code == 202, answer.text
        probe_id: str = answer.json()["probe_id"]
        return probe_id

    def read(self, probe_id: str) -> dict[str, Any]:
        answer = self.http.get(self.url(probe_id), headers=self.platform.headers(Role.ANALYST))
        assert answer.status_code == 200, answer.text
        probe: dict[str, Any] = answer.json()
        return probe

    def url(self, probe_id: str) -> str:
        return f"{self.platform.base_url(DESK)}/probes/{probe_id}"

    def echoed(self, probe_id: str, within: float = ECHO_WITHIN) -> dict[str, Any]:
        """The probe once probe-desk has its echo; fails after `within` seconds."""
        return eventually(
            lambda: probe if (probe := self.read(probe_id))["status"] == "echoed" else None,
            f"probe {probe_id} to be echoed",
            within=within,
        )

    def echo_count(self, probe_id: str) -> int:
        """How many times probe-echo handled the probe."""
        answer = self.http.get(
            f"{self.platform.base_url(ECHO)}/echoes/count",
            params={"probe_id": probe_id},
            headers=self.platform.headers(Role.ANALYST),
        )
        assert answer.status_code == 200, answer.text
        count: int = answer.json()["count"]
        return count


@pytest.fixture(scope="session")
def backing() -> Iterator[Backing]:
    with backing_services() as servers:
        yield servers


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared by every process, so a token minted here verifies there (the dev issuer's key)."""
    return tmp_path_factory.mktemp("precise-data")


@contextmanager
def deployed(node: pytest.Item | pytest.Module, backing: Backing, data_dir: Path) -> Iterator[Platform]:
    """A deployment named after the test (or module) that owns it; its logs go when that node passes."""
    log_dir = LOG_ROOT / re.sub(r"[^A-Za-z0-9_.-]+", "_", node.name)
    shutil.rmtree(log_dir, ignore_errors=True)
    deployment = Deployment(backing, data_dir, log_dir)
    # The key exists before any process starts, so none of them races to create it.
    issue_dev_token(deployment.settings, roles=[Role.AUDITOR], sub="E2E0000")
    failed = True  # until the body ends without raising (a fixture failing in setup included)
    try:
        with httpx.Client(timeout=10.0) as http:
            yield Platform(deployment, http)
        failed = False
    finally:
        deployment.stop()
        deployment.clean_up()
        if failed or node.stash.get(KEEP_LOGS, False):
            print(f"\nprocess logs kept in {log_dir}")
        else:
            shutil.rmtree(log_dir, ignore_errors=True)


@pytest.fixture
def platform(request: pytest.FixtureRequest, backing: Backing, data_dir: Path) -> Iterator[Platform]:
    """A deployment of this test's own: it starts, kills and stops processes as it likes."""
    with deployed(request.node, backing, data_dir) as platform:
        yield platform


@pytest.fixture(scope="module")
def desk_and_echo(request: pytest.FixtureRequest, backing: Backing, data_dir: Path) -> Iterator[Platform]:
    """probe-desk and probe-echo in two processes, shared by a module's tests that leave them running."""
    with deployed(request.node, backing, data_dir) as platform:
        platform.start(DESK, ECHO)
        yield platform


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed:
        for node in (item, item.getparent(pytest.Module)):
            if node is not None:
                node.stash[KEEP_LOGS] = True
        for value in getattr(item, "funcargs", {}).values():
            if isinstance(value, Platform) and value.deployment.processes:
                report.sections.append(("precise process logs (tail)", value.deployment.tails()))
    return report
