"""The bus a profile runs on: in-process (embedded), RabbitMQ (local), Azure Service Bus (azure)."""

from __future__ import annotations

from precise_chassis.bus.memory import InMemoryBus
from precise_chassis.bus.port import Bus
from precise_chassis.bus.rabbitmq import RabbitMQBus
from precise_chassis.settings import PlatformSettings, Profile


def bus_for(settings: PlatformSettings) -> Bus:
    if settings.profile is Profile.EMBEDDED:
        return InMemoryBus()
    if settings.profile is Profile.LOCAL:
        return RabbitMQBus(settings.rabbitmq_url, prefix=settings.topology_prefix)
    # Imported here: the Azure SDK is heavy and only the azure profile needs it.
    from precise_chassis.bus.servicebus import ServiceBusBus

    if settings.servicebus_connection:
        return ServiceBusBus(connection_string=settings.servicebus_connection, topology_prefix=settings.topology_prefix)
    if settings.servicebus_namespace:
        return ServiceBusBus(
            fully_qualified_namespace=settings.servicebus_namespace, topology_prefix=settings.topology_prefix
        )
    raise ValueError(
        "the azure profile needs PRECISE_SERVICEBUS_CONNECTION, "
        "or PRECISE_SERVICEBUS_NAMESPACE to connect with managed identity"
    )
