"""Acknowledging a RabbitMQ consumer's messages a batch at a time, never past one still being handled."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aio_pika.exceptions import ChannelInvalidStateError

from precise_chassis.bus.acknowledgements import Acknowledgements


class Channel:
    """What the broker was told, in order: (delivery tag, multiple)."""

    def __init__(self) -> None:
        self.acks: list[tuple[int, bool]] = []
        self.is_closed = False
        self.failure: Exception | None = None


class Message:
    def __init__(self, channel: Channel, tag: int) -> None:
        self._channel = channel
        self.delivery_tag = tag

    @property
    def channel(self) -> Channel:
        if self._channel.is_closed:
            raise ChannelInvalidStateError
        return self._channel

    async def ack(self, multiple: bool = False) -> None:
        if self._channel.failure is not None:
            raise self._channel.failure
        self._channel.acks.append((self.delivery_tag, multiple))


def delivered(acks: Acknowledgements, channel: Channel, tags: range) -> list[Any]:
    messages = [Message(channel, tag) for tag in tags]
    for message in messages:
        acks.delivered(message)  # type: ignore[arg-type]
    return messages


async def test_messages_settled_together_are_acknowledged_by_one_ack_of_the_highest() -> None:
    acks, channel = Acknowledgements(), Channel()
    messages = delivered(acks, channel, range(1, 6))

    await asyncio.gather(*(acks.ack(m) for m in messages))

    assert channel.acks == [(5, True)]


async def test_no_ack_covers_a_message_still_being_handled() -> None:
    acks, channel = Acknowledgements(), Channel()
    first, second, held, *rest = delivered(acks, channel, range(1, 7))  # `held` is backing off, say

    await asyncio.gather(*(acks.ack(m) for m in [first, second, *rest]))
    assert channel.acks == [(2, True), (4, False), (5, False), (6, False)]

    await acks.ack(held)
    assert channel.acks[-1] == (3, False)


async def test_a_message_given_back_no_longer_holds_the_others_to_one_by_one() -> None:
    acks, channel = Acknowledgements(), Channel()
    given_back, *rest = delivered(acks, channel, range(1, 5))

    acks.given_back(given_back)
    await asyncio.gather(*(acks.ack(m) for m in rest))

    assert channel.acks == [(4, True)]


async def test_messages_of_a_channel_closed_since_hold_nothing_up_on_its_successor() -> None:
    acks, old, new = Acknowledgements(), Channel(), Channel()
    delivered(acks, old, range(1, 3))  # unsettled when the connection dropped: the broker gives them back
    old.is_closed = True
    messages = delivered(acks, new, range(1, 4))

    await asyncio.gather(*(acks.ack(m) for m in messages))

    assert new.acks == [(3, True)]


async def test_every_message_of_a_failed_ack_hears_of_the_failure() -> None:
    acks, channel = Acknowledgements(), Channel()
    channel.failure = ConnectionError("connection reset")
    messages = delivered(acks, channel, range(1, 4))

    outcomes = await asyncio.gather(*(acks.ack(m) for m in messages), return_exceptions=True)

    assert [type(outcome) for outcome in outcomes] == [ConnectionError] * 3


async def test_a_lone_message_is_acknowledged_alone() -> None:
    acks, channel = Acknowledgements(), Channel()
    (message,) = delivered(acks, channel, range(7, 8))

    await acks.ack(message)

    assert channel.acks == [(7, False)]


@pytest.mark.parametrize("cancel_first", [True, False])
async def test_a_caller_cancelled_while_waiting_strands_no_other(cancel_first: bool) -> None:
    acks, channel = Acknowledgements(), Channel()
    messages = delivered(acks, channel, range(1, 4))
    waiting = [asyncio.ensure_future(acks.ack(m)) for m in messages]
    await asyncio.sleep(0)
    waiting[0 if cancel_first else -1].cancel()

    outcomes = await asyncio.gather(*waiting, return_exceptions=True)

    assert sum(outcome is None for outcome in outcomes) == 2
    assert channel.acks == [(3, True)]
