"""Remove what a test or benchmark declared on the machine's RabbitMQ under its own prefix. Quorum queues left
behind are Raft groups the broker keeps ticking for ever, and CI runs on the same broker run after run."""

from __future__ import annotations

from collections.abc import Iterable

import aio_pika

from precise_contracts.registry import Subscription
from precise_contracts.topology.rabbitmq import dead_letter_exchange, dead_letter_queue_name, exchange_name, queue_name


async def delete_topology(url: str, prefix: str, topics: Iterable[str], subscriptions: Iterable[Subscription]) -> None:
    """Delete the subscriptions' queues (and their dead-letter queues) and the topics' exchanges."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        for subscription in subscriptions:
            await channel.queue_delete(queue_name(subscription, prefix))
            await channel.queue_delete(dead_letter_queue_name(subscription, prefix))
        for topic in topics:
            await channel.exchange_delete(exchange_name(topic, prefix))
        await channel.exchange_delete(dead_letter_exchange(prefix))
