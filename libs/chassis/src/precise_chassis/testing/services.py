"""Find the real services a test needs: the ones running on this machine, else testcontainers where a
Docker engine exists, else a clear failure naming what is missing. Never a silent pass."""

from __future__ import annotations

import os
import shutil
import socket
from contextlib import ExitStack
from typing import NoReturn
from urllib.parse import urlsplit

import pytest


def reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _url_reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    return reachable(parts.hostname or "127.0.0.1", parts.port or default_port)


def docker_available() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        import docker  # type: ignore[import-untyped]

        docker.from_env().ping()
        return True
    except Exception:
        return False


POSTGRES_URL = os.environ.get("PRECISE_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
RABBITMQ_URL = os.environ.get("PRECISE_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")


def postgres_url(stack: ExitStack) -> str:
    if _url_reachable(POSTGRES_URL, 5432):
        return POSTGRES_URL
    if docker_available():
        from testcontainers.postgres import PostgresContainer

        container = stack.enter_context(PostgresContainer("postgres:16-alpine", driver="asyncpg"))
        return str(container.get_connection_url())
    return _missing("PostgreSQL", POSTGRES_URL, "start it (pg_ctlcluster 15 main start) or a Docker engine")


def rabbitmq_url(stack: ExitStack) -> str:
    if _url_reachable(RABBITMQ_URL, 5672):
        return RABBITMQ_URL
    if docker_available():
        from testcontainers.rabbitmq import RabbitMqContainer

        container = stack.enter_context(RabbitMqContainer("rabbitmq:3.13-management-alpine"))
        params = container.get_connection_params()
        return f"amqp://guest:guest@{params.host}:{params.port}/"
    return _missing("RabbitMQ", RABBITMQ_URL, "start it (rabbitmq-server -detached) or a Docker engine")


def _missing(what: str, url: str, fix: str) -> NoReturn:
    parts = urlsplit(url)  # host and port only: never print credentials
    message = f"{what} is not reachable at {parts.hostname}:{parts.port} and no Docker engine runs here: {fix}"
    pytest.fail(message, pytrace=False)
