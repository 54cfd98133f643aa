"""A test that needs PostgreSQL or RabbitMQ finds the running one, or fails saying what is missing."""

from __future__ import annotations

import socket
from contextlib import ExitStack

import pytest

from precise_chassis.testing import services


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("find", "setting", "url", "named"),
    [
        (services.postgres_url, "POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:{port}/x", "PostgreSQL"),
        (services.rabbitmq_url, "RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:{port}/", "RabbitMQ"),
    ],
)
def test_a_missing_server_without_docker_fails_naming_it(
    monkeypatch: pytest.MonkeyPatch, find: object, setting: str, url: str, named: str
) -> None:
    port = closed_port()
    monkeypatch.setattr(services, setting, url.format(port=port))
    monkeypatch.setattr(services, "docker_available", lambda: False)
    with ExitStack() as stack, pytest.raises(pytest.fail.Exception) as failure:
        find(stack)  # type: ignore[operator]
    assert f"{named} is not reachable at 127.0.0.1:{port}" in str(failure.value)
    assert "no Docker engine" in str(failure.value)


@pytest.mark.integration
def test_the_running_servers_of_this_machine_are_used() -> None:
    with ExitStack() as stack:
        assert services.postgres_url(stack) == services.POSTGRES_URL
        assert services.rabbitmq_url(stack) == services.RABBITMQ_URL
