"""Acknowledging a RabbitMQ consumer's messages a batch at a time.

The dispatcher commits deliveries in batches (group commit), so a dozen messages are settled in the same turn of
the event loop. Acknowledged one by one, each costs the consumer a frame and a socket write and the broker a
command; here they go as one `basic.ack` with `multiple` set, up to the highest of them. That acknowledges every
earlier delivery on the channel too, so it only covers tags below the lowest message still being handled (or
backing off before it is given back); messages settled above that one are acknowledged one by one, as before.

Delivery tags count per channel, and a robust connection reopens its channels, so the open messages are kept per
channel.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable

from aio_pika.abc import AbstractChannel, AbstractIncomingMessage
from aio_pika.exceptions import ChannelInvalidStateError

_Due = tuple[AbstractIncomingMessage, asyncio.Future[None]]


class Acknowledgements:
    """The messages one consumer holds: `delivered` as each arrives, then either `ack`, or `given_back` once its
    nack or reject was sent."""

    def __init__(self) -> None:
        self._open: dict[object, set[int]] = {}  # per channel, the delivery tags not yet settled
        self._due: list[_Due] = []
        self._sending: asyncio.Task[None] | None = None

    def delivered(self, message: AbstractIncomingMessage) -> None:
        channel = _channel(message)
        if channel is not None and message.delivery_tag is not None:
            self._open.setdefault(channel, set()).add(message.delivery_tag)

    def given_back(self, message: AbstractIncomingMessage) -> None:
        """No acknowledgement may cover the message now: it was given back to the broker."""
        self._close(message)

    async def ack(self, message: AbstractIncomingMessage) -> None:
        """Acknowledge the message together with the others settled in this turn of the loop; raises what sending
        the acknowledgement raised (the channel or the connection is gone)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._due.append((message, done))
        self._close(message)
        if self._sending is None:
            # a task of its own, so that a caller cancelled meanwhile does not strand the others' acknowledgements
            self._sending = asyncio.create_task(self._send_due(), name="rabbitmq-acks")
        await done

    def _close(self, message: AbstractIncomingMessage) -> None:
        channel = _channel(message)
        tags = self._open.get(channel) if channel is not None else None
        if tags is not None:
            tags.discard(message.delivery_tag or 0)

    async def _send_due(self) -> None:
        due: list[_Due] = []
        try:
            await asyncio.sleep(0)  # the messages settled in this turn of the loop join
            due, self._due, self._sending = self._due, [], None
            await self._send(due)
        finally:
            if self._sending is asyncio.current_task():  # cancelled before it took them
                due, self._due, self._sending = self._due, [], None
            for _, done in due:
                if not done.done():
                    done.cancel()

    async def _send(self, due: list[_Due]) -> None:
        self._open = {channel: tags for channel, tags in self._open.items() if not _is_closed(channel)}
        covered: dict[object, list[_Due]] = {}
        alone: list[_Due] = []
        for message, done in due:
            channel = _channel(message)
            lowest_open = min(self._open.get(channel, ()), default=math.inf)
            if channel is not None and (message.delivery_tag or 0) < lowest_open:
                covered.setdefault(channel, []).append((message, done))
            else:
                alone.append((message, done))
        for together in covered.values():
            highest = max(together, key=lambda item: item[0].delivery_tag or 0)[0]
            await _sent(together, highest.ack(multiple=len(together) > 1))
        for message, done in alone:
            await _sent([(message, done)], message.ack())


async def _sent(due: list[_Due], sending: Awaitable[None]) -> None:
    try:
        await sending
    except Exception as error:
        for _, done in due:
            if not done.done():  # its caller was cancelled meanwhile
                done.set_exception(error)
    else:
        for _, done in due:
            if not done.done():
                done.set_result(None)


def _channel(message: AbstractIncomingMessage) -> AbstractChannel | None:
    try:
        return message.channel  # type: ignore[return-value]
    except ChannelInvalidStateError:  # closed: nothing on it can be acknowledged any more
        return None


def _is_closed(channel: object) -> bool:
    return bool(getattr(channel, "is_closed", False))
