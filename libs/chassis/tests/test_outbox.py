"""The outbox relay: committed events reach the bus, oldest first, and survive broker outages and kills."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from asyncio.subprocess import PIPE
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from precise_chassis.database import Database
from precise_chassis.migrate import migrate
from precise_chassis.outbox import OutboxRelay, RelayBackoff
from precise_chassis.tables import outbox
from precise_chassis.testing.casework import REGISTRY, CaseNoteAdded
from precise_chassis.testing.fakes import RecordingBus
from precise_chassis.uow import NotAProducer, UnitOfWork
from precise_contracts.envelope import SerialisedEvent


def uow_for(db: Database, relay: OutboxRelay | None = None) -> UnitOfWork:
    return UnitOfWork(db, service="casework", registry=REGISTRY, on_commit=relay.wake if relay else lambda: None)


async def add_notes(db: Database, *notes: str) -> list[str]:
    async with uow_for(db) as uow:
        return [uow.publish(CaseNoteAdded(case_ref="CASE/2026/0001", note=n)).id for n in notes]


async def test_committed_events_are_published_in_order_and_marked(db: Database, recording_bus: RecordingBus) -> None:
    ids = await add_notes(db, "first", "second", "third")
    relay = OutboxRelay(db, recording_bus, service="casework")

    assert await relay.flush() == 3

    assert recording_bus.ids() == ids
    assert {topic for topic, _ in recording_bus.published} == {"casework"}
    assert (await relay.status()).pending == 0
    assert await relay.flush() == 0  # nothing is published twice


async def test_a_rolled_back_transaction_publishes_nothing(db: Database, recording_bus: RecordingBus) -> None:
    try:
        async with uow_for(db) as uow:
            uow.publish(CaseNoteAdded(case_ref="CASE/2026/0002", note="never"))
            raise RuntimeError("the state change failed")
    except RuntimeError:
        pass
    relay = OutboxRelay(db, recording_bus, service="casework")
    assert await relay.flush() == 0
    assert recording_bus.published == []


async def test_the_envelope_says_who_published_what_about_whom(db: Database, recording_bus: RecordingBus) -> None:
    await add_notes(db, "door-to-door enquiries done")
    await OutboxRelay(db, recording_bus, service="casework").flush()
    ((_topic, envelope),) = recording_bus.published
    assert envelope.source == "/precise/casework"
    assert envelope.type == CaseNoteAdded.type
    assert envelope.subject == "CASE/2026/0001"
    assert envelope.dataschema == CaseNoteAdded.dataschema()
    assert envelope.payload() == {"case_ref": "CASE/2026/0001", "note": "door-to-door enquiries done"}


async def test_an_event_serialised_in_another_process_is_published_as_if_built_here(
    db: Database, recording_bus: RecordingBus
) -> None:
    note = CaseNoteAdded(case_ref="CASE/2026/0004", note="statement taken")
    async with uow_for(db) as uow:
        uow.publish(SerialisedEvent.of(note))
    await OutboxRelay(db, recording_bus, service="casework").flush()
    ((_topic, envelope),) = recording_bus.published
    assert envelope.type == CaseNoteAdded.type
    assert envelope.subject == "CASE/2026/0004"
    assert envelope.dataschema == CaseNoteAdded.dataschema()
    assert envelope.decode(CaseNoteAdded) == note


async def test_a_large_event_is_stored_and_relayed_compressed(db: Database, recording_bus: RecordingBus) -> None:
    note = CaseNoteAdded(case_ref="CASE/2026/0005", note="CCTV trawl, High Street, 14:00-18:00: nothing. " * 600)
    async with uow_for(db) as uow:
        uow.publish(SerialisedEvent.of(note))
    async with db.session() as session:
        (data,) = (await session.execute(select(outbox.c.data))).scalars().all()
    assert len(data) < len(note.model_dump_json()) / 10  # what the database and the broker carry
    await OutboxRelay(db, recording_bus, service="casework").flush()
    ((_topic, envelope),) = recording_bus.published
    assert envelope.dataencoding == "zstd"
    assert envelope.decode(CaseNoteAdded) == note


async def outbox_rows(db: Database) -> list[tuple[str, bool]]:
    """Each row left in the outbox: its event id and whether it was published."""
    async with db.session() as session:
        rows = await session.execute(select(outbox.c.event_id, outbox.c.published_at).order_by(outbox.c.seq))
        return [(event_id, published_at is not None) for event_id, published_at in rows]


async def test_published_rows_are_deleted_after_the_retention_and_pending_ones_never(
    db: Database, recording_bus: RecordingBus
) -> None:
    relay = OutboxRelay(db, recording_bus, service="casework", retention_seconds=3600)
    sent = await add_notes(db, "arrest made", "suspect charged")
    await relay.flush()
    pending = await add_notes(db, "file sent to the CPS")
    now = datetime.now(UTC)

    assert await relay.prune(now + timedelta(minutes=59)) == 0  # still within the retention
    assert await relay.prune(now + timedelta(minutes=61)) == 2

    assert await outbox_rows(db) == [(pending[0], False)]
    assert recording_bus.ids() == sent


async def test_a_running_relay_prunes_what_it_published(db: Database, recording_bus: RecordingBus) -> None:
    relay = OutboxRelay(db, recording_bus, service="casework", poll_seconds=0.02, retention_seconds=0, prune_seconds=0)
    relay.start()
    try:
        ids = await add_notes(db, "house to house done")
        relay.wake()
        for _ in range(200):
            if not await outbox_rows(db):
                break
            await asyncio.sleep(0.02)
    finally:
        await relay.stop()
    assert recording_bus.ids() == ids
    assert await outbox_rows(db) == []


async def test_a_service_cannot_publish_what_the_registry_does_not_give_it(db: Database) -> None:
    uow = UnitOfWork(db, service="someone-else", registry=REGISTRY)
    async with uow:
        with pytest.raises(NotAProducer, match="someone-else is not a producer"):
            uow.publish(CaseNoteAdded(case_ref="CASE/2026/0003", note="x"))


async def test_events_wait_while_the_broker_is_down_and_drain_oldest_first_after(
    db: Database, recording_bus: RecordingBus
) -> None:
    relay = OutboxRelay(db, recording_bus, service="casework", backoff=RelayBackoff(base_seconds=0, cap_seconds=0))
    recording_bus.down = True
    ids = await add_notes(db, "one", "two")
    ids += await add_notes(db, "three")

    assert await relay.flush(deadline=0.2) == 0
    status = await relay.status()
    assert status.pending == 3
    async with db.session() as session:
        oldest = (await session.execute(select(outbox).order_by(outbox.c.seq).limit(1))).one()
    assert oldest.attempts >= 1
    assert "broker is down" in oldest.last_error

    recording_bus.down = False
    assert await relay.flush() == 3
    assert recording_bus.ids() == ids


async def test_a_failed_row_backs_off_and_nothing_overtakes_it(db: Database, recording_bus: RecordingBus) -> None:
    relay = OutboxRelay(db, recording_bus, service="casework", backoff=RelayBackoff(base_seconds=60))
    recording_bus.down = True
    await add_notes(db, "one", "two")
    await relay.flush(deadline=0.2)
    recording_bus.down = False

    # the oldest row waits a minute before its next attempt; the younger one must not jump the queue
    assert await relay.flush(deadline=0.2) == 0
    assert recording_bus.published == []


async def test_the_relay_wakes_on_commit(db: Database, recording_bus: RecordingBus) -> None:
    relay = OutboxRelay(db, recording_bus, service="casework", poll_seconds=30)
    relay.start()
    try:
        ids = []
        async with uow_for(db, relay) as uow:
            ids.append(uow.publish(CaseNoteAdded(case_ref="CASE/2026/0004", note="wake")).id)
        for _ in range(100):
            if recording_bus.ids() == ids:
                break
            await asyncio.sleep(0.02)
        assert recording_bus.ids() == ids
    finally:
        await relay.stop()


KILLED_AFTER_COMMIT = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from precise_chassis.database import Database
    from precise_chassis.migrate import migrate
    from precise_chassis.testing.casework import REGISTRY, CaseNoteAdded
    from precise_chassis.uow import UnitOfWork

    async def main():
        db = Database.sqlite(__import__("pathlib").Path(sys.argv[1]))
        await migrate(db)
        async with UnitOfWork(db, service="casework", registry=REGISTRY) as uow:
            event = uow.publish(CaseNoteAdded(case_ref="CASE/2026/0005", note="committed, then killed"))
        print(event.id, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)  # dies before any relay could publish

    asyncio.run(main())
    """
)


async def test_an_event_committed_by_a_process_killed_before_publishing_is_published_after_restart(
    tmp_path: Path, recording_bus: RecordingBus
) -> None:
    path = tmp_path / "casework.sqlite"
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", KILLED_AFTER_COMMIT, str(path), stdout=PIPE, stderr=PIPE
    )
    stdout, stderr = await asyncio.wait_for(child.communicate(), timeout=60)
    assert child.returncode == -9, stderr.decode()
    event_id = stdout.decode().strip()

    restarted = Database.sqlite(path)
    await migrate(restarted)
    try:
        assert await OutboxRelay(restarted, recording_bus, service="casework").flush() == 1
        assert recording_bus.ids() == [event_id]
    finally:
        await restarted.dispose()
