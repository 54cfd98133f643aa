"""THE bus conformance suite: the delivery semantics of port.py, proved the same way on every adapter.

Each test runs once per adapter (the `rig` fixture in conftest.py) under its own random topology prefix.
"""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from precise_chassis.bus.port import (
    MAX_DELIVERY_EXCEEDED,
    UNPROCESSABLE,
    BusUnavailable,
    Delivery,
    Unprocessable,
)
from precise_chassis.bus.rabbitmq import RabbitMQBus
from precise_chassis.database import Database
from precise_chassis.dispatch import Dispatcher
from precise_chassis.migrate import migrate
from precise_chassis.testing import casework
from precise_chassis.uow import UnitOfWork
from precise_contracts.envelope import Envelope

if TYPE_CHECKING:
    from conftest import BusRig

NOTE_ADDED = "note-added"
NOTE_WITHDRAWN = "note-withdrawn"


async def test_a_message_reaches_subscriptions_on_its_topic_and_no_others(rig: BusRig) -> None:
    bus = rig.bus()
    casework = rig.subscription("casework", "risk-summary", NOTE_ADDED)
    elsewhere = rig.subscription("intelligence", "risk-summary", NOTE_ADDED)
    await rig.declare(bus, casework, elsewhere)
    on_casework, on_elsewhere = rig.recorder(), rig.recorder()
    await bus.consume(casework, on_casework)
    await bus.consume(elsewhere, on_elsewhere)

    note = rig.envelope(NOTE_ADDED, note="house-to-house enquiries done")
    await bus.publish("casework", [note])

    await rig.eventually(lambda: len(on_casework.deliveries) == 1, "the casework subscription's delivery")
    await rig.settle()
    assert on_casework.ids() == [note.id]
    assert on_casework.deliveries[0].envelope == note
    assert on_casework.deliveries[0].delivery_count == 1
    assert on_elsewhere.deliveries == []


async def test_a_compressed_payload_arrives_with_its_encoding_and_reads_as_written(rig: BusRig) -> None:
    bus = rig.bus()
    casework = rig.subscription("casework", "risk-summary", NOTE_ADDED)
    await rig.declare(bus, casework)
    recorder = rig.recorder()
    await bus.consume(casework, recorder)

    text = "house-to-house enquiries, Acacia Avenue; no answer at 12, 14 or 16. " * 400
    note = rig.envelope(NOTE_ADDED, note=text)
    assert note.dataencoding == "zstd"
    assert len(note.data) < len(text) / 10
    await bus.publish("casework", [note])

    await rig.eventually(lambda: len(recorder.deliveries) == 1, "the compressed note's delivery")
    received = recorder.deliveries[0].envelope
    assert received == note
    assert received.payload() == {"note": text}


async def test_a_subscription_sees_only_the_event_types_it_names(rig: BusRig) -> None:
    bus = rig.bus()
    wants_added = rig.subscription("casework", "risk-summary", NOTE_ADDED)
    wants_withdrawn = rig.subscription("casework", "share-to-cps", NOTE_WITHDRAWN)
    await rig.declare(bus, wants_added, wants_withdrawn)
    added, withdrawn = rig.recorder(), rig.recorder()
    await bus.consume(wants_added, added)
    await bus.consume(wants_withdrawn, withdrawn)

    withdrawal = rig.envelope(NOTE_WITHDRAWN, note="entered in error")
    addition = rig.envelope(NOTE_ADDED, note="witness statement taken")
    await bus.publish("casework", [withdrawal, addition])

    await rig.eventually(lambda: added.ids() == [addition.id], "the added note")
    await rig.eventually(lambda: withdrawn.ids() == [withdrawal.id], "the withdrawn note")
    await rig.settle()
    assert added.ids() == [addition.id]
    assert withdrawn.ids() == [withdrawal.id]


async def test_two_subscriptions_on_one_topic_each_get_a_copy(rig: BusRig) -> None:
    bus = rig.bus()
    profiles = rig.subscription("casework", "person-profile", NOTE_ADDED)
    risk = rig.subscription("casework", "risk-summary", NOTE_ADDED)
    await rig.declare(bus, profiles, risk)
    on_profiles, on_risk = rig.recorder(), rig.recorder()
    await bus.consume(profiles, on_profiles)
    await bus.consume(risk, on_risk)

    note = rig.envelope(NOTE_ADDED, note="vehicle seen leaving")
    await bus.publish("casework", [note])

    await rig.eventually(lambda: on_profiles.ids() == [note.id] and on_risk.ids() == [note.id], "both copies")
    await rig.settle()
    assert on_profiles.ids() == [note.id]
    assert on_risk.ids() == [note.id]


async def test_a_failed_handler_gets_the_message_again_with_its_delivery_count(rig: BusRig) -> None:
    bus = rig.bus()
    risk = rig.subscription("casework", "risk-summary", NOTE_ADDED)
    await rig.declare(bus, risk)

    async def fail_first_time(delivery: Delivery) -> None:
        if delivery.delivery_count == 1:
            raise ConnectionError("PNC lookup timed out")

    handler = rig.recorder(fail_first_time)
    await bus.consume(risk, handler)
    note = rig.envelope(NOTE_ADDED, note="second attempt succeeds")
    await bus.publish("casework", [note])

    await rig.eventually(lambda: handler.counts_for(note.id) == [1, 2], "the redelivery")
    await rig.settle()
    assert handler.counts_for(note.id) == [1, 2]  # completed on delivery 2, never offered again
    assert await bus.dead_letters(risk) == []


async def test_a_poison_message_is_dead_lettered_after_max_delivery_and_never_blocks(rig: BusRig) -> None:
    bus = rig.bus()
    risk = rig.subscription("casework", "risk-summary", NOTE_ADDED, max_delivery=3)
    await rig.declare(bus, risk)

    async def choke_on_poison(delivery: Delivery) -> None:
        if delivery.envelope.payload().get("poison"):
            raise RuntimeError("warning code XX is not in the code list")

    handler = rig.recorder(choke_on_poison)
    await bus.consume(risk, handler, concurrency=2)
    poison = rig.envelope(NOTE_ADDED, poison=True)
    good = rig.envelope(NOTE_ADDED, note="arrives behind the poison")
    await bus.publish("casework", [poison, good])

    await rig.eventually(lambda: good.id in handler.ids(), "the good message behind the poison")
    (letter,) = await rig.dead_letters(bus, risk)
    assert letter.envelope == poison
    assert letter.reason == MAX_DELIVERY_EXCEEDED
    assert "warning code XX is not in the code list" in letter.description
    assert handler.counts_for(poison.id) == [1, 2, 3]

    later = rig.envelope(NOTE_ADDED, note="after the poison was dead-lettered")
    await bus.publish("casework", [later])
    await rig.eventually(lambda: later.id in handler.ids(), "a message published after the dead letter")
    assert handler.counts_for(poison.id) == [1, 2, 3]


async def test_unprocessable_is_dead_lettered_on_its_first_delivery(rig: BusRig) -> None:
    bus = rig.bus()
    risk = rig.subscription("casework", "risk-summary", NOTE_ADDED)
    await rig.declare(bus, risk)

    async def reject(delivery: Delivery) -> None:
        raise Unprocessable("note has no case reference")

    handler = rig.recorder(reject)
    await bus.consume(risk, handler)
    note = rig.envelope(NOTE_ADDED, note="orphan")
    await bus.publish("casework", [note])

    await rig.eventually(lambda: handler.ids() == [note.id], "the single delivery")
    letters = await rig.dead_letters(bus, risk)
    assert [(d.envelope.id, d.reason) for d in letters] == [(note.id, UNPROCESSABLE)]
    assert "note has no case reference" in letters[0].description
    await rig.settle()
    assert handler.counts_for(note.id) == [1]


async def test_replay_brings_a_dead_letter_back_to_its_subscription_only(rig: BusRig) -> None:
    bus = rig.bus()
    risk = rig.subscription("casework", "risk-summary", NOTE_ADDED)
    profiles = rig.subscription("casework", "person-profile", NOTE_ADDED)
    await rig.declare(bus, risk, profiles)
    code_list_loaded = False

    async def needs_code_list(delivery: Delivery) -> None:
        if not code_list_loaded:
            raise Unprocessable("code list not loaded")

    on_risk, on_profiles = rig.recorder(needs_code_list), rig.recorder()
    await bus.consume(risk, on_risk)
    await bus.consume(profiles, on_profiles)
    note = rig.envelope(NOTE_ADDED, note="replayed after the fix")
    await bus.publish("casework", [note])
    await rig.dead_letters(bus, risk)
    await rig.eventually(lambda: on_profiles.ids() == [note.id], "the sibling subscription's copy")

    code_list_loaded = True
    assert await bus.replay_dead_letters(risk) == 1

    await rig.eventually(lambda: on_risk.ids() == [note.id, note.id], "the replayed delivery")
    assert on_risk.deliveries[-1].envelope == note
    assert await bus.dead_letters(risk) == []
    await rig.settle()
    assert on_profiles.ids() == [note.id]  # the replay did not go to the whole topic


async def test_concurrency_limits_how_many_handlers_run_at_once(rig: BusRig) -> None:
    bus = rig.bus()
    risk = rig.subscription("casework", "risk-summary", NOTE_ADDED)
    await rig.declare(bus, risk)
    running = 0
    most = 0

    async def slow(delivery: Delivery) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.4)
        running -= 1

    handler = rig.recorder(slow)
    await bus.consume(risk, handler, concurrency=4)
    await bus.publish("casework", [rig.envelope(NOTE_ADDED, n=n) for n in range(10)])

    await rig.eventually(lambda: len(handler.deliveries) == 10 and running == 0, "ten handled messages")
    assert most == 4


async def test_stop_lets_the_handler_in_flight_finish_starts_nothing_new_and_publishing_works(
    rig: BusRig,
) -> None:
    bus = rig.bus()
    risk = rig.subscription("casework", "risk-summary", NOTE_ADDED)
    await rig.declare(bus, risk)
    release = asyncio.Event()
    finished: list[str] = []

    async def slow(delivery: Delivery) -> None:
        await release.wait()
        finished.append(delivery.envelope.id)

    handler = rig.recorder(slow)
    await bus.consume(risk, handler, concurrency=2)
    in_flight, arrives_while_stopping = rig.envelope(NOTE_ADDED, n=1), rig.envelope(NOTE_ADDED, n=2)
    await bus.publish("casework", [in_flight])
    await rig.eventually(lambda: handler.ids() == [in_flight.id], "the first delivery")

    stopping = asyncio.create_task(bus.stop(grace_seconds=10))
    await asyncio.sleep(0.2)
    await bus.publish("casework", [arrives_while_stopping])
    await rig.settle()
    assert not stopping.done()  # waiting for the handler in flight
    assert handler.ids() == [in_flight.id]  # a slot is free, but stop() takes no new work
    release.set()
    await asyncio.wait_for(stopping, timeout=10)

    assert finished == [in_flight.id]
    assert handler.ids() == [in_flight.id]
    flushed = rig.envelope(NOTE_ADDED, n=3)
    await bus.publish("casework", [flushed])  # the outbox relay flushes after stop()
    await rig.settle()
    assert handler.ids() == [in_flight.id]
    await bus.close()

    restarted = rig.bus()
    await rig.declare(restarted, risk)
    after_restart = rig.recorder()
    await restarted.consume(risk, after_restart)
    await rig.eventually(lambda: len(after_restart.ids()) == 2, "the waiting messages after restart")
    await rig.settle()
    # the finished one was completed, not redelivered
    assert sorted(after_restart.ids()) == sorted([arrives_while_stopping.id, flushed.id])


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize("rig", ["rabbitmq"], indirect=True)
async def test_publishing_to_an_unreachable_broker_raises_bus_unavailable(rig: BusRig) -> None:
    bus = RabbitMQBus(f"amqp://guest:guest@127.0.0.1:{_closed_port()}/", prefix=rig.prefix)
    try:
        with pytest.raises(BusUnavailable):
            await bus.publish("casework", [rig.envelope(NOTE_ADDED, note="kept by the outbox")])
        with pytest.raises(BusUnavailable):
            await bus.ping()
    finally:
        await bus.close()


async def test_a_duplicate_delivery_has_one_effect(rig: BusRig, tmp_path: Path) -> None:
    """The relay may publish an event twice (killed after the confirm, before marking it sent): the
    consumer's inbox, claimed in the handler's transaction, absorbs the second copy."""
    db = Database.sqlite(tmp_path / "case-index.sqlite")
    await migrate(db)
    async with db.engine.begin() as conn:
        await conn.run_sync(casework.metadata.create_all)
    bus = rig.bus()
    subscription = casework.REGISTRY.subscriptions("case-index")[0]
    await rig.declare(bus, subscription)
    effects = 0

    async def index_note(event: casework.CaseNoteAdded, uow: UnitOfWork) -> None:
        nonlocal effects
        await uow.session.execute(casework.case_notes.insert().values(case_ref=event.case_ref, note=event.note))
        effects += 1

    dispatcher = Dispatcher(
        subscription=subscription.queue,
        handlers={casework.CaseNoteAdded: index_note},
        unit_of_work=lambda: UnitOfWork(db, service="case-index", registry=casework.REGISTRY),
    )
    recorder = rig.recorder(dispatcher)
    await bus.consume(subscription, recorder)

    note = Envelope.wrap(casework.CaseNoteAdded(case_ref="CASE/2026/0042", note="seen twice"), service="casework")
    await bus.publish("casework", [note])
    await bus.publish("casework", [note])

    await rig.eventually(lambda: len(recorder.deliveries) == 2, "both copies")
    await rig.settle()
    async with UnitOfWork(db, service="case-index", registry=casework.REGISTRY) as uow:
        assert await casework.note_count(uow, "CASE/2026/0042") == 1
    assert effects == 1
    await db.dispose()


async def test_a_handler_still_running_after_the_grace_period_is_cancelled_and_its_message_kept(
    rig: BusRig,
) -> None:
    bus = rig.bus()
    risk = rig.subscription("casework", "risk-summary", NOTE_ADDED)
    await rig.declare(bus, risk)

    async def hang(delivery: Delivery) -> None:
        await asyncio.Event().wait()

    stuck = rig.recorder(hang)
    await bus.consume(risk, stuck)
    note = rig.envelope(NOTE_ADDED, note="the handler hangs")
    await bus.publish("casework", [note])
    await rig.eventually(lambda: stuck.ids() == [note.id], "the stuck delivery")

    started = time.monotonic()
    await bus.stop(grace_seconds=0.2)
    assert time.monotonic() - started < 2.0

    after_restart = rig.recorder()
    await bus.consume(risk, after_restart)
    await rig.eventually(lambda: after_restart.ids() == [note.id], "the message offered again")
    assert after_restart.deliveries[0].delivery_count == 2
