"""Each profile runs on its own bus, configured from the platform settings."""

from __future__ import annotations

import pytest

from precise_chassis.bus.factory import bus_for
from precise_chassis.bus.memory import InMemoryBus
from precise_chassis.bus.port import BusUnavailable
from precise_chassis.bus.rabbitmq import RabbitMQBus
from precise_chassis.bus.servicebus import ServiceBusBus
from precise_chassis.settings import PlatformSettings, Profile

# A syntactically valid connection string for a namespace that does not exist; nothing connects.
CONNECTION = "Endpoint=sb://precise-test.servicebus.windows.net/;SharedAccessKeyName=test;SharedAccessKey=c2VjcmV0"


def test_the_embedded_profile_runs_on_the_in_process_bus() -> None:
    assert isinstance(bus_for(PlatformSettings(profile=Profile.EMBEDDED)), InMemoryBus)


async def test_the_local_profile_runs_on_rabbitmq_at_the_configured_url_and_prefix() -> None:
    settings = PlatformSettings(
        profile=Profile.LOCAL, rabbitmq_url="amqp://guest:guest@127.0.0.1:1/", topology_prefix="t-"
    )
    bus = bus_for(settings)
    assert isinstance(bus, RabbitMQBus)
    with pytest.raises(BusUnavailable, match=r"127\.0\.0\.1:1\b"):
        await bus.ping()  # proves it dials the configured URL


@pytest.mark.parametrize("with_connection", [True, False], ids=["connection-string", "managed-identity"])
async def test_the_azure_profile_runs_on_service_bus_with_the_topology_prefix(with_connection: bool) -> None:
    settings = PlatformSettings(
        profile=Profile.AZURE,
        topology_prefix="t-",
        servicebus_connection=CONNECTION if with_connection else None,
        servicebus_namespace=None if with_connection else "precise-test.servicebus.windows.net",
    )
    bus = bus_for(settings)
    assert isinstance(bus, ServiceBusBus)
    assert bus.entity("casework") == "t-casework"
    await bus.close()


def test_the_azure_profile_without_a_namespace_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRECISE_SERVICEBUS_CONNECTION", raising=False)
    monkeypatch.delenv("PRECISE_SERVICEBUS_NAMESPACE", raising=False)
    with pytest.raises(ValueError, match="PRECISE_SERVICEBUS_CONNECTION, or PRECISE_SERVICEBUS_NAMESPACE"):
        bus_for(PlatformSettings(profile=Profile.AZURE))
