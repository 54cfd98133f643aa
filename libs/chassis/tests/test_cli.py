"""The `precise` command line as an officer or operator uses it: mint a dev token, migrate a service's
schema, check the generated topology is current."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import jwt
import pytest
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner, Result

from precise_chassis.auth.dev_issuer import key_path
from precise_chassis.auth.roles import Role
from precise_chassis.cli import cli
from precise_chassis.service import discover

REPO_ROOT = Path(__file__).resolve().parents[3]
CHASSIS_TABLES = {"outbox", "inbox", "audit_log"}


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PRECISE_DATA_DIR", str(tmp_path))
    # the CLI writes --profile into the environment; setting it here has monkeypatch put it back after
    monkeypatch.setenv("PRECISE_PROFILE", "embedded")
    monkeypatch.delenv("PRECISE_TEST_SERVICES", raising=False)


def precise(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def said(result: Result) -> str:
    """What the command printed, as one line: error boxes drawn and wrapped for the terminal, unwrapped."""
    return " ".join(re.sub("[│╭╮╰╯─]", " ", result.output).split())


def test_token_prints_a_jwt_carrying_the_role_and_subject(tmp_path: Path) -> None:
    result = precise("token", "--role", "analyst", "--sub", "PC1")

    assert result.exit_code == 0, result.output
    claims = jwt.decode(result.stdout.strip(), options={"verify_signature": False})
    assert claims["roles"] == ["analyst"]
    assert claims["sub"] == "PC1"
    assert claims["exp"] > datetime.now(UTC).timestamp()
    assert key_path(tmp_path).is_file()  # signed with the data dir's key, which the services verify with


def test_token_with_an_unknown_role_fails_naming_the_valid_ones() -> None:
    result = precise("token", "--role", "no-such-role", "--sub", "PC1")

    assert result.exit_code != 0
    assert "no-such-role" in said(result)
    for role in Role:
        assert f"'{role.value}'" in said(result)


@pytest.fixture
def schema_prefix(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A random schema prefix for the local profile's PostgreSQL; the probe-desk schema is dropped after."""
    prefix = f"t_{uuid.uuid4().hex[:12]}_"
    monkeypatch.setenv("PRECISE_DATABASE_URL", postgres_url)
    monkeypatch.setenv("PRECISE_SCHEMA_PREFIX", prefix)
    yield prefix
    query(postgres_url, "public", f'DROP SCHEMA IF EXISTS "{prefix}probe_desk" CASCADE')


def query(url: str, schema: str, statement: str) -> list[str]:
    """Run one statement with the schema first on the search path; the first column of its rows."""

    async def run() -> list[str]:
        engine = create_async_engine(url, connect_args={"server_settings": {"search_path": schema}})
        try:
            async with engine.begin() as conn:
                result = await conn.execute(text(statement))
                return [str(value) for value in result.scalars()] if result.returns_rows else []
        finally:
            await engine.dispose()

    return asyncio.run(run())


def tables(url: str, schema: str) -> set[str]:
    async def run() -> set[str]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names(schema=schema)))
        finally:
            await engine.dispose()

    return asyncio.run(run())


@pytest.mark.integration
def test_migrate_creates_the_service_schema_and_running_it_again_is_harmless(
    postgres_url: str, schema_prefix: str
) -> None:
    schema = f"{schema_prefix}probe_desk"
    args = ("migrate", "--target", "probe-desk", "--profile", "local", "--test-services")

    first = precise(*args)

    assert first.exit_code == 0, first.output
    assert f"probe-desk: migrated ({schema})" in first.output
    assert tables(postgres_url, schema) == {*CHASSIS_TABLES, "probes", "alembic_version"}
    versions = query(postgres_url, schema, "SELECT version_num FROM alembic_version")
    assert "probe_desk_0001" in versions  # its head; the chassis branch it depends on is implied

    query(
        postgres_url,
        schema,
        "INSERT INTO probes (probe_id, text, blob_key, blob_sha256, requested_at) "
        "VALUES ('probe-1', 'kept', 'probes/probe-1', repeat('0', 64), now())",
    )
    again = precise(*args)

    assert again.exit_code == 0, again.output
    assert query(postgres_url, schema, "SELECT probe_id FROM probes") == ["probe-1"]
    assert query(postgres_url, schema, "SELECT version_num FROM alembic_version") == versions


def test_migrate_an_unknown_target_fails_naming_the_installed_ones() -> None:
    result = precise("migrate", "--target", "nope", "--test-services")

    assert result.exit_code != 0
    assert "unknown target(s) nope" in said(result)
    installed = sorted(discover(include_test_services=True))
    assert installed  # the probe services are installed in the workspace
    assert f"installed: {', '.join(installed)}" in said(result)


def test_topology_check_passes_in_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO_ROOT)

    result = precise("topology", "--check")

    assert result.exit_code == 0, result.output
    assert "topology is current" in result.output
