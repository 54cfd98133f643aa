"""`precise dlq`: inspect and replay a subscription's dead letters on RabbitMQ or Azure Service Bus.

Dead letters keep the reason and the last error; replay puts them back on their subscription with the
same event id, so the consumer's inbox still absorbs any that were in fact handled.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer

from precise_chassis.bus.factory import bus_for
from precise_chassis.bus.port import Bus, DeadLetter
from precise_chassis.settings import PlatformSettings, Profile
from precise_contracts.registry import Subscription, installed_registry

app = typer.Typer(help="Inspect and replay dead letters.", no_args_is_help=True)

SubscriptionArgument = Annotated[str, typer.Argument(help="<topic>.<service>, e.g. audit.risk-summary")]
LimitOption = Annotated[int, typer.Option(help="at most this many")]


def find_subscription(name: str) -> Subscription:
    subscriptions = {s.queue: s for s in installed_registry().subscriptions()}
    if name not in subscriptions:
        known = ", ".join(sorted(subscriptions)) or "none"
        raise typer.BadParameter(f"no subscription {name!r}; the registry has: {known}")
    return subscriptions[name]


def broker_bus() -> Bus:
    settings = PlatformSettings()
    if settings.profile is Profile.EMBEDDED:
        raise typer.BadParameter(
            "the embedded profile's in-process bus lives inside the running platform; "
            "set PRECISE_PROFILE=local or azure to reach a broker"
        )
    return bus_for(settings)


def describe(letter: DeadLetter) -> dict[str, object]:
    return {
        "event_id": letter.envelope.id,
        "type": letter.envelope.type,
        "subject": letter.envelope.subject,
        "reason": letter.reason,
        "description": letter.description,
        "dead_lettered_at": letter.dead_lettered_at.isoformat() if letter.dead_lettered_at else None,
    }


@app.command("list")
def list_dead_letters(subscription: SubscriptionArgument, limit: LimitOption = 100) -> None:
    """Print the subscription's dead letters as JSON lines, without removing them."""

    async def peek() -> list[DeadLetter]:
        bus = broker_bus()
        try:
            return await bus.dead_letters(find_subscription(subscription), limit=limit)
        finally:
            await bus.close()

    for letter in asyncio.run(peek()):
        typer.echo(json.dumps(describe(letter)))


@app.command()
def replay(subscription: SubscriptionArgument, limit: LimitOption = 100) -> None:
    """Move dead letters back onto their subscription for another try."""

    async def move() -> int:
        bus = broker_bus()
        try:
            return await bus.replay_dead_letters(find_subscription(subscription), limit=limit)
        finally:
            await bus.close()

    typer.echo(f"replayed {asyncio.run(move())} dead letter(s) onto {subscription}")
