"""An operator lists a subscription's dead letters with their reasons and replays them onto RabbitMQ."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from typer.testing import CliRunner

from precise_chassis.bus.port import Delivery, Unprocessable
from precise_chassis.bus.rabbitmq import RabbitMQBus
from precise_chassis.testing import services
from precise_chassis.testing.rabbitmq import delete_topology
from precise_contracts.envelope import Envelope
from precise_contracts.registry import Subscription, installed_registry
from precise_probe.contracts import ProbeRequested
from precise_tools.dlq import app

pytestmark = pytest.mark.integration
SUBSCRIPTION = "probe-desk.probe-echo"


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    with ExitStack() as stack:
        url = services.rabbitmq_url(stack)
        prefix = f"t{uuid.uuid4().hex[:8]}."
        monkeypatch.setenv("PRECISE_PROFILE", "local")
        monkeypatch.setenv("PRECISE_RABBITMQ_URL", url)
        monkeypatch.setenv("PRECISE_TOPOLOGY_PREFIX", prefix)
        yield url, prefix
        topics = [topic.name for topic in installed_registry().topics]
        asyncio.run(delete_topology(url, prefix, topics, [subscription()]))


def subscription() -> Subscription:
    return next(s for s in installed_registry().subscriptions() if s.queue == SUBSCRIPTION)


async def dead_letter_one_probe(url: str, prefix: str) -> str:
    bus = RabbitMQBus(url, prefix=prefix)
    registry = installed_registry()
    await bus.ensure_topology(registry.topics, [subscription()])

    async def refuse(_delivery: Delivery) -> None:
        raise Unprocessable("probe text is not valid UTF-8 (test)")

    await bus.consume(subscription(), refuse)
    event = ProbeRequested(probe_id="P-1", text="synthetic", blob_key="probes/P-1", blob_sha256="0" * 64)
    envelope = Envelope.wrap(event, service="probe-desk")
    await bus.publish("probe-desk", [envelope])
    for _ in range(100):
        if await bus.dead_letters(subscription()):
            break
        await asyncio.sleep(0.05)
    await bus.close()
    return envelope.id


async def handle_replayed(url: str, prefix: str) -> list[str]:
    bus = RabbitMQBus(url, prefix=prefix)
    handled: list[str] = []

    async def accept(delivery: Delivery) -> None:
        handled.append(delivery.envelope.id)

    await bus.consume(subscription(), accept)
    for _ in range(100):
        if handled:
            break
        await asyncio.sleep(0.05)
    await bus.close()
    return handled


def test_dead_letters_are_listed_with_their_reason_and_replayed(broker: tuple[str, str]) -> None:
    url, prefix = broker
    event_id = asyncio.run(dead_letter_one_probe(url, prefix))
    runner = CliRunner()

    listed = runner.invoke(app, ["list", SUBSCRIPTION])
    assert listed.exit_code == 0, listed.output
    (letter,) = [json.loads(line) for line in listed.output.splitlines()]
    assert letter["event_id"] == event_id
    assert letter["reason"] == "Unprocessable"
    assert "not valid UTF-8" in letter["description"]

    replayed = runner.invoke(app, ["replay", SUBSCRIPTION])
    assert replayed.exit_code == 0, replayed.output
    assert "replayed 1 dead letter(s)" in replayed.output
    assert asyncio.run(handle_replayed(url, prefix)) == [event_id]
    assert runner.invoke(app, ["list", SUBSCRIPTION]).output == ""


def test_an_unknown_subscription_is_named_with_the_ones_that_exist(broker: tuple[str, str]) -> None:
    result = CliRunner().invoke(app, ["list", "audit.nobody"])
    assert result.exit_code != 0
    assert "no subscription 'audit.nobody'" in result.output
