"""`precise`: run the platform (any set of targets, any profile), migrate, mint dev tokens, regenerate
the topology. Tools add sub-commands through the `precise.commands` entry point."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from precise_chassis.auth.dev_issuer import issue_dev_token
from precise_chassis.auth.roles import Role
from precise_chassis.database import Database
from precise_chassis.migrate import migrate as migrate_database
from precise_chassis.service import Service, discover, select_targets
from precise_chassis.settings import PlatformSettings, Profile
from precise_contracts.registry import REGISTRY, TopicRegistry, installed_registry

cli = typer.Typer(help="Precise: a police force's data and evidence platform.", no_args_is_help=True)

TargetOption = Annotated[str, typer.Option("--target", "-t", help="all, or service names separated by commas")]
ProfileOption = Annotated[Profile | None, typer.Option("--profile", "-p", help="embedded, local or azure")]
TestServicesOption = Annotated[
    bool, typer.Option("--test-services", help="also host the test-only services (e2e harness)")
]


def _settings(profile: Profile | None) -> PlatformSettings:
    if profile is not None:
        os.environ["PRECISE_PROFILE"] = profile.value
    return PlatformSettings()


def _targets(target: str, test_services: bool) -> tuple[list[Service], TopicRegistry]:
    test_services = test_services or os.environ.get("PRECISE_TEST_SERVICES") == "1"
    available = discover(include_test_services=test_services)
    registry = installed_registry() if test_services else REGISTRY
    try:
        return select_targets(available, target), registry
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--target") from exc


@cli.command()
def run(
    target: TargetOption = "all",
    profile: ProfileOption = None,
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    test_services: TestServicesOption = False,
) -> None:
    """Run the chosen services in this process, their APIs mounted under their prefixes on one port."""
    from precise_chassis.app import create_app
    from precise_chassis.heap import settle_after_start_up
    from precise_chassis.runtime import Platform
    from precise_chassis.telemetry.logs import setup_logging
    from precise_chassis.telemetry.tracing import instrument_httpx, setup_tracing

    settings = _settings(profile)
    services, registry = _targets(target, test_services)
    process_name = "precise" if target == "all" else "precise-" + "-".join(s.name for s in services)
    setup_logging(settings, process_name)
    setup_tracing(settings, process_name)
    instrument_httpx()
    app = create_app(Platform(settings, services, registry))
    settle_after_start_up()
    _print_welcome(settings, services, host, port)
    # uvicorn shuts down gracefully on SIGTERM, then re-raises it; exiting 0 tells the orchestrator all is well
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=None,
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
    )


def _print_welcome(settings: PlatformSettings, services: list[Service], host: str, port: int) -> None:
    base = f"http://{host}:{port}"
    lines = [
        f"Precise ({settings.profile.value} profile) on {base}",
        f"  health:  {base}/healthz",
        f"  metrics: {base}/metrics",
    ]
    if not services:
        lines.append("  no services are installed yet; the platform answers /healthz and /metrics only")
    for service in services:
        lines.append(f"  {service.title:<24} {base}{service.prefix}/docs  ({base}{service.prefix}/openapi.json)")
    lines += [
        "Mint a dev token:  .venv/bin/precise token --role response-officer --sub PC1234",
        "then call with:    -H 'Authorization: Bearer <token>' -H 'Precise-Purpose: INC-20261122-0001; reason'",
    ]
    typer.echo("\n".join(lines))


@cli.command()
def migrate(
    target: TargetOption = "all", profile: ProfileOption = None, test_services: TestServicesOption = False
) -> None:
    """Apply each chosen service's migrations (also done on start)."""
    settings = _settings(profile)
    services, _registry = _targets(target, test_services)

    async def apply() -> None:
        for service in services:
            db = Database.for_service(service.name, settings)
            try:
                await migrate_database(db, [service.migrations] if service.migrations else [])
            finally:
                await db.dispose()
            typer.echo(f"{service.name}: migrated ({db.schema or 'sqlite'})")

    asyncio.run(apply())


@cli.command()
def token(
    role: Annotated[list[Role], typer.Option("--role", "-r", help="role(s) the token carries")],
    sub: Annotated[str, typer.Option("--sub", help="the officer's or system's id, e.g. PC1234")],
    name: Annotated[str | None, typer.Option(help="display name")] = None,
    ttl_minutes: Annotated[int, typer.Option(help="lifetime in minutes")] = 60,
    profile: ProfileOption = None,
) -> None:
    """Print a token from the dev issuer (embedded and local profiles only)."""
    typer.echo(issue_dev_token(_settings(profile), roles=role, sub=sub, name=name, ttl_minutes=ttl_minutes))


@cli.command()
def topology(
    check: Annotated[bool, typer.Option(help="exit 1 listing stale files instead of writing")] = False,
) -> None:
    """Regenerate docs/asyncapi.yaml, JSON Schemas, Terraform, RabbitMQ and Helm topology from the registry."""
    from precise_contracts.topology.generate import generate, stale

    root = _repo_root()
    if check:
        outdated = stale(root)
        if outdated:
            typer.echo("stale (run make topology): " + ", ".join(str(p) for p in outdated), err=True)
            raise typer.Exit(1)
        typer.echo("topology is current")
        return
    for path in generate(root):
        typer.echo(f"wrote {path}")


def _repo_root() -> Path:
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "libs" / "contracts").is_dir():
            return folder
    raise typer.BadParameter("run from inside the Precise repository")


def _add_tool_commands() -> None:
    for entry in entry_points(group="precise.commands"):
        cli.add_typer(entry.load(), name=entry.name)


def main() -> None:
    _add_tool_commands()
    cli()
