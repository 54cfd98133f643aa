"""Delivering an event to a service's handler: one transaction for the inbox row, the state change and the
events it causes; a redelivery has no second effect; a crash half-way leaves nothing behind."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from precise_chassis.bus.port import Delivery, Unprocessable
from precise_chassis.database import Database
from precise_chassis.dispatch import Dispatcher
from precise_chassis.tables import outbox
from precise_chassis.testing.casework import REGISTRY, CaseClosed, CaseNoteAdded, case_notes, metadata, note_count
from precise_chassis.uow import UnitOfWork
from precise_contracts.envelope import Envelope

SUBSCRIPTION = REGISTRY.subscriptions("case-index")[0]


@pytest.fixture
async def casework_db(db: Database) -> Database:
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return db


def delivery(event: CaseNoteAdded, *, count: int = 1, event_id: str = "evt-1") -> Delivery:
    envelope = Envelope.wrap(event, service="casework", event_id=event_id)
    return Delivery(envelope=envelope, subscription=SUBSCRIPTION, delivery_count=count)


def dispatcher(db: Database, handler: object) -> Dispatcher:
    return Dispatcher(
        subscription=SUBSCRIPTION.queue,
        handlers={CaseNoteAdded: handler},  # type: ignore[dict-item]
        unit_of_work=lambda: UnitOfWork(db, service="case-index", registry=REGISTRY),
    )


async def index_note(event: CaseNoteAdded, uow: UnitOfWork) -> None:
    await uow.session.execute(case_notes.insert().values(case_ref=event.case_ref, note=event.note))


async def notes(db: Database, case_ref: str = "CASE/2026/0001") -> int:
    async with UnitOfWork(db, service="case-index", registry=REGISTRY) as uow:
        return await note_count(uow, case_ref)


async def test_a_redelivered_event_has_one_effect(casework_db: Database) -> None:
    handle = dispatcher(casework_db, index_note)
    event = CaseNoteAdded(case_ref="CASE/2026/0001", note="witness traced")

    assert await handle.dispatch(delivery(event)) is True
    assert await handle.dispatch(delivery(event, count=2)) is False

    assert await notes(casework_db) == 1


async def test_concurrent_duplicates_have_one_effect(casework_db: Database) -> None:
    handle = dispatcher(casework_db, index_note)
    event = CaseNoteAdded(case_ref="CASE/2026/0001", note="CCTV seized")

    outcomes = await asyncio.gather(*(handle.dispatch(delivery(event)) for _ in range(5)))

    assert outcomes.count(True) == 1
    assert await notes(casework_db) == 1


async def test_a_handler_that_crashes_half_way_leaves_nothing_and_the_redelivery_counts_once(
    casework_db: Database,
) -> None:
    attempts = 0

    async def crash_after_writing(event: CaseNoteAdded, uow: UnitOfWork) -> None:
        nonlocal attempts
        attempts += 1
        await index_note(event, uow)
        uow.publish(CaseNoteAdded(case_ref="CASE/2026/9999", note="follow-on"))  # outbox row, same tx
        if attempts == 1:
            raise ConnectionResetError("lost the database half-way")

    handle = Dispatcher(
        subscription=SUBSCRIPTION.queue,
        handlers={CaseNoteAdded: crash_after_writing},
        unit_of_work=lambda: UnitOfWork(casework_db, service="casework", registry=REGISTRY),
    )
    event = CaseNoteAdded(case_ref="CASE/2026/0001", note="arrest made")

    with pytest.raises(ConnectionResetError):
        await handle.dispatch(delivery(event))
    assert await notes(casework_db) == 0
    assert await outbox_rows(casework_db) == 0

    assert await handle.dispatch(delivery(event, count=2)) is True
    assert await handle.dispatch(delivery(event, count=3)) is False
    assert await notes(casework_db) == 1
    assert await outbox_rows(casework_db) == 1


async def outbox_rows(db: Database) -> int:
    async with db.session() as session:
        return int((await session.execute(select(func.count()).select_from(outbox))).scalar_one())


async def test_an_event_the_subscription_has_no_handler_for_is_unprocessable(casework_db: Database) -> None:
    handle = dispatcher(casework_db, index_note)
    closed = Envelope.wrap(CaseClosed(case_ref="CASE/2026/0001"), service="casework")
    with pytest.raises(Unprocessable, match="no handler"):
        await handle.dispatch(Delivery(envelope=closed, subscription=SUBSCRIPTION, delivery_count=1))


@pytest.mark.parametrize(
    "data", [b'{"case_ref":"CASE/2026/0001"}', b"not JSON at all", b'["a list"]'], ids=["schema", "json", "object"]
)
async def test_a_payload_that_breaks_its_schema_is_unprocessable(casework_db: Database, data: bytes) -> None:
    handle = dispatcher(casework_db, index_note)
    good = Envelope.wrap(CaseNoteAdded(case_ref="CASE/2026/0001", note="x"), service="casework")
    bad = good.model_copy(update={"data": data})
    with pytest.raises(Unprocessable, match="does not match its schema"):
        await handle.dispatch(Delivery(envelope=bad, subscription=SUBSCRIPTION, delivery_count=1))
    assert await notes(casework_db) == 0


async def test_a_large_note_travels_compressed_and_is_handled_as_written(casework_db: Database) -> None:
    handled: list[CaseNoteAdded] = []

    async def keep(event: CaseNoteAdded, uow: UnitOfWork) -> None:
        handled.append(event)

    event = CaseNoteAdded(case_ref="CASE/2026/0001", note="house-to-house enquiries, Acacia Avenue. " * 500)
    sent = delivery(event)
    assert sent.envelope.dataencoding == "zstd"
    assert len(sent.envelope.data) < len(event.model_dump_json()) / 10

    assert await dispatcher(casework_db, keep).dispatch(sent) is True
    assert handled == [event]


@pytest.mark.parametrize("data", [b"not a zstd frame", b"\x28\xb5\x2f\xfd\x00"], ids=["not-zstd", "no-stated-size"])
async def test_data_that_is_not_what_its_encoding_says_is_unprocessable(casework_db: Database, data: bytes) -> None:
    handle = dispatcher(casework_db, index_note)
    good = Envelope.wrap(CaseNoteAdded(case_ref="CASE/2026/0001", note="x"), service="casework")
    bad = good.model_copy(update={"data": data, "dataencoding": "zstd"})
    with pytest.raises(Unprocessable, match="cannot be decoded"):
        await handle.dispatch(Delivery(envelope=bad, subscription=SUBSCRIPTION, delivery_count=1))
    assert await notes(casework_db) == 0


async def test_in_a_batch_only_the_failing_delivery_is_abandoned(casework_db: Database) -> None:
    async def refuse_the_withdrawn(event: CaseNoteAdded, uow: UnitOfWork) -> None:
        await index_note(event, uow)
        if event.note == "poison":
            raise ValueError("cannot index this note")

    handle = dispatcher(casework_db, refuse_the_withdrawn)
    good = [CaseNoteAdded(case_ref="CASE/2026/0001", note=f"note {n}") for n in range(3)]
    bad = CaseNoteAdded(case_ref="CASE/2026/0001", note="poison")
    deliveries = [delivery(e, event_id=f"evt-{n}") for n, e in enumerate([*good[:2], bad, good[2]])]

    outcomes = await asyncio.gather(*(handle.dispatch(d) for d in deliveries), return_exceptions=True)

    assert outcomes[:2] == [True, True]
    assert outcomes[3] is True
    assert isinstance(outcomes[2], ValueError)
    assert await notes(casework_db) == 3


async def test_deliveries_arriving_while_a_transaction_runs_are_committed_together_after_it(
    casework_db: Database,
) -> None:
    first_is_handled = asyncio.Event()
    units: list[UnitOfWork] = []

    def unit_of_work() -> UnitOfWork:
        units.append(UnitOfWork(casework_db, service="case-index", registry=REGISTRY))
        return units[-1]

    async def slow_first(event: CaseNoteAdded, uow: UnitOfWork) -> None:
        if event.note == "note 0":
            await first_is_handled.wait()
        await index_note(event, uow)

    handle = Dispatcher(
        subscription=SUBSCRIPTION.queue, handlers={CaseNoteAdded: slow_first}, unit_of_work=unit_of_work
    )
    events = [CaseNoteAdded(case_ref="CASE/2026/0001", note=f"note {n}") for n in range(6)]
    first = asyncio.ensure_future(handle.dispatch(delivery(events[0], event_id="evt-0")))
    await asyncio.sleep(0.05)
    second = asyncio.ensure_future(handle.dispatch(delivery(events[1], event_id="evt-1")))
    await asyncio.sleep(0.05)  # the second waits for the first's transaction rather than start its own
    later = [
        asyncio.ensure_future(handle.dispatch(delivery(e, event_id=f"evt-{n}"))) for n, e in enumerate(events[2:], 2)
    ]
    first_is_handled.set()

    assert await asyncio.gather(first, second, *later) == [True] * 6
    assert len(units) == 2
    assert await notes(casework_db) == 6
