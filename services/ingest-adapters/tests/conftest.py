"""The ingest service in-process (embedded profile), an HTTP client on it, tokens, and synthetic files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from precise_ingest.service import service

from precise_chassis.app import create_app
from precise_chassis.auth.dev_issuer import issue_dev_token
from precise_chassis.auth.roles import Role
from precise_chassis.runtime import Platform
from precise_chassis.settings import PlatformSettings, Profile
from precise_contracts.registry import REGISTRY
from precise_tools.synth.generate import generate

PURPOSE = "INC-20261123-0007; checking rejected PNC records"


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PlatformSettings:
    monkeypatch.setenv("PRECISE_INGEST_POLL_SECONDS", "0.05")
    monkeypatch.setenv("PRECISE_INGEST_DROP_SETTLE_SECONDS", "0")
    monkeypatch.setenv("PRECISE_INGEST_CHUNK_RECORDS", "7")  # several chunks even for a small file
    return PlatformSettings(profile=Profile.EMBEDDED, data_dir=tmp_path / "data", outbox_poll_seconds=0.05)


@pytest.fixture
async def app(settings: PlatformSettings) -> AsyncIterator[FastAPI]:
    application = create_app(Platform(settings, [service], REGISTRY))
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://precise") as client:
        yield client


@pytest.fixture
def writer(settings: PlatformSettings) -> dict[str, str]:
    """A source-system connector: may upload, not read records."""
    return {"Authorization": f"Bearer {issue_dev_token(settings, roles=[Role.INGEST_SYSTEM], sub='PNC-LINK')}"}


@pytest.fixture
def outsider(settings: PlatformSettings) -> dict[str, str]:
    """A call handler: no ingest permission at all."""
    return {"Authorization": f"Bearer {issue_dev_token(settings, roles=[Role.CALL_HANDLER], sub='CH1')}"}


@pytest.fixture
def supervisor(settings: PlatformSettings) -> dict[str, str]:
    """A custody sergeant: owns the platform's stuck work, so may put any failed batch back."""
    return {"Authorization": f"Bearer {issue_dev_token(settings, roles=[Role.SUPERVISOR], sub='PS4242')}"}


@pytest.fixture
def analyst(settings: PlatformSettings) -> dict[str, str]:
    """An analyst with a stated purpose: may read rejects."""
    token = issue_dev_token(settings, roles=[Role.ANALYST], sub="DC5678")
    return {"Authorization": f"Bearer {token}", "Precise-Purpose": PURPOSE}


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic world in the adapters' formats (what `precise synth --people 40 --seed 7` writes)."""
    out = tmp_path_factory.mktemp("synth")
    generate(out, people=40, seed=7)
    return out


@pytest.fixture
def nominals(synthetic: Path) -> bytes:
    return (synthetic / "pnc" / "nominals.csv").read_bytes()
