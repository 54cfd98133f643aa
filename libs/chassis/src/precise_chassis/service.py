"""The Service object each service package exposes through the `precise.services` entry point."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import APIRouter

from precise_chassis.dispatch import EventHandler
from precise_contracts.envelope import Event

if TYPE_CHECKING:
    from precise_chassis.runtime import ServiceRuntime

SERVICES_GROUP = "precise.services"
TEST_SERVICES_GROUP = "precise.test_services"


@dataclass(frozen=True)
class Service:
    """What the runner needs to host a service: its API, its event handlers and its migrations."""

    name: str
    prefix: str
    title: str
    router: APIRouter
    handlers: Mapping[type[Event], EventHandler] = field(default_factory=dict)
    migrations: Path | None = None  # the service's Alembic versions folder
    uses_blobs: bool = False
    on_start: Callable[[ServiceRuntime], Awaitable[None]] | None = None
    on_stop: Callable[[ServiceRuntime], Awaitable[None]] | None = None

    def __post_init__(self) -> None:
        if not self.prefix.startswith("/") or self.prefix.endswith("/"):
            raise ValueError(f"service {self.name}: prefix {self.prefix!r} must look like /name")


def discover(*, include_test_services: bool = False) -> dict[str, Service]:
    """Services installed in this environment, found by entry point (the chassis imports none itself)."""
    groups = [SERVICES_GROUP] + ([TEST_SERVICES_GROUP] if include_test_services else [])
    found: dict[str, Service] = {}
    for group in groups:
        for entry in entry_points(group=group):
            service = entry.load()
            if not isinstance(service, Service):
                raise TypeError(f"entry point {entry.name} in {group} is not a precise_chassis Service")
            if service.name != entry.name:
                raise ValueError(f"entry point {entry.name} names service {service.name}; they must match")
            found[service.name] = service
    return found


def select_targets(available: Mapping[str, Service], target: str) -> list[Service]:
    """`all` or a comma-separated list of service names, like Loki's -target."""
    if target == "all":
        return [available[name] for name in sorted(available)]
    names = [name.strip() for name in target.split(",") if name.strip()]
    unknown = [name for name in names if name not in available]
    if unknown:
        raise ValueError(f"unknown target(s) {', '.join(unknown)}; installed: {', '.join(sorted(available))}")
    return [available[name] for name in names]
