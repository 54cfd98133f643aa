"""The source-record ledger on both databases the service runs on: what a chunk records is what the next
chunk of the same source reads back, however many records a chunk holds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from precise_ingest.service import service
from precise_ingest.store import (
    Batch,
    BatchStatus,
    Counts,
    add_batch,
    add_counts,
    add_stall,
    claim_batch,
    enter_in_ledger,
    finish_batch,
    get_batch,
    ledger_hashes,
    list_batches,
    retry_batch,
    settle_in_ledger,
)

from precise_chassis.database import Database
from precise_chassis.testing.databases import BACKENDS, migrated


@pytest.fixture(params=BACKENDS)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    async with migrated(request, tmp_path, [service.migrations]) as database:
        yield database


async def test_a_chunk_of_thousands_of_reads_is_entered_and_a_second_chunk_finds_them_held(db: Database) -> None:
    reads = [(f"read-{n:05d}", f"{n:064x}") for n in range(6_000)]
    now = datetime.now(UTC)
    async with db.session() as session, session.begin():
        held = await enter_in_ledger(session, "anpr", reads, batch_id="b" * 32, now=now)
    assert held == {}

    again = [*reads[:5_000], ("read-never-seen", "f" * 64)]
    async with db.session() as session, session.begin():
        held = await enter_in_ledger(session, "anpr", again, batch_id="c" * 32, now=now)
        elsewhere = await enter_in_ledger(session, "legacy/custody", reads[:10], batch_id="c" * 32, now=now)

    assert held == dict(reads[:5_000])
    assert elsewhere == {}  # record ids are the source's own: another source's same id is another record


async def test_a_record_seen_twice_in_one_chunk_is_entered_with_its_first_content(db: Database) -> None:
    now = datetime.now(UTC)
    async with db.session() as session, session.begin():
        await enter_in_ledger(
            session, "pnc", [("98/1234567L", "a" * 64), ("98/1234567L", "b" * 64)], batch_id="1", now=now
        )
    async with db.session() as session, session.begin():
        held = await enter_in_ledger(session, "pnc", [("98/1234567L", "c" * 64)], batch_id="2", now=now)
    assert held == {"98/1234567L": "a" * 64}


async def test_settling_records_a_change_and_withdraws_what_was_not_published(db: Database) -> None:
    now = datetime.now(UTC)
    entered = [("98/1234567L", "a" * 64), ("99/7654321X", "b" * 64)]
    async with db.session() as session, session.begin():
        await enter_in_ledger(session, "pnc", entered, batch_id="1", now=now)
        await settle_in_ledger(
            session, "pnc", changed=[("98/1234567L", "c" * 64)], withdrawn=["99/7654321X"], batch_id="1", now=now
        )
    async with db.session() as session, session.begin():
        held = await enter_in_ledger(session, "pnc", entered, batch_id="2", now=now)
    assert held == {"98/1234567L": "c" * 64}  # the withdrawn record was entered afresh by the second chunk


async def test_records_with_ids_in_any_script_are_found_by_every_ledger_query(db: Database) -> None:
    # PostgreSQL keys what it enters and looks up; settling keys in Python: both must give the same key
    # the last holds the separator the ids of a chunk are usually sent to PostgreSQL joined by
    ids = ["LEG/Łódź-Ærø-07", "ANPR-читать-1", "rid\u00e9-\U0001f697", "LEG\x1e42"]
    now = datetime.now(UTC)
    async with db.session() as session, session.begin():
        await enter_in_ledger(session, "legacy/custody", [(rid, "a" * 64) for rid in ids], batch_id="1", now=now)
        await settle_in_ledger(
            session, "legacy/custody", changed=[(ids[0], "c" * 64)], withdrawn=[ids[1]], batch_id="1", now=now
        )
    async with db.session() as session, session.begin():
        held = await ledger_hashes(session, "legacy/custody", ids)
    assert held == {ids[0]: "c" * 64, ids[2]: "a" * 64, ids[3]: "a" * 64}


async def test_a_chunk_whose_transaction_rolls_back_leaves_nothing_in_the_ledger(db: Database) -> None:
    reads = [(f"read-{n:05d}", f"{n:064x}") for n in range(100)]
    now = datetime.now(UTC)
    async with db.session() as session, session.begin():
        await enter_in_ledger(session, "anpr", reads, batch_id="a" * 32, now=now)
        await session.rollback()  # the chunk failed before it committed
    async with db.session() as session, session.begin():
        held = await enter_in_ledger(session, "anpr", reads, batch_id="b" * 32, now=now)
    assert held == {}


def received(batch_id: str, at: datetime, *, source: str = "anpr", by: str = "ANPR-LINK") -> Batch:
    return Batch(
        batch_id=batch_id,
        source=source,
        mapping=None,
        filename="reads.csv",
        blob_key=f"batches/{batch_id}/original",
        blob_sha256="0" * 64,
        size=10,
        submitted_by=by,
        status=BatchStatus.RECEIVED,
        failure_reason=None,
        counts=Counts(),
        received_at=at,
        started_at=None,
        finished_at=None,
    )


async def test_a_batch_counts_its_stops_in_a_row_until_a_chunk_commits(db: Database) -> None:
    now = datetime.now(UTC)
    later = now + timedelta(minutes=1)
    async with db.session() as session, session.begin():
        await add_batch(session, received("b1", now))
        assert await claim_batch(session, "b1", processor="p1", now=now, until=later)
        assert [await add_stall(session, "b1", processor="p1") for _ in range(2)] == [1, 2]
        assert await add_stall(session, "b1", processor="someone else") is None
        assert await add_counts(session, "b1", Counts(read=5, accepted=5), processor="p1", until=later)
        assert await add_stall(session, "b1", processor="p1") == 1


async def test_a_failed_batch_put_back_keeps_its_committed_counts_and_only_a_failed_one_is_put_back(
    db: Database,
) -> None:
    now = datetime.now(UTC)
    later = now + timedelta(minutes=1)
    async with db.session() as session, session.begin():
        await add_batch(session, received("b1", now))
        assert await claim_batch(session, "b1", processor="p1", now=now, until=later)
        assert await add_counts(session, "b1", Counts(read=7, accepted=6, rejected=1), processor="p1", until=later)
        await add_stall(session, "b1", processor="p1")
        await finish_batch(session, "b1", BatchStatus.FAILED, processor="p1", now=later, reason="stopped 5 times")

    async with db.session() as session, session.begin():
        assert await retry_batch(session, "b1")
        assert not await retry_batch(session, "b1")  # received now: already waiting to be read
        put_back = await get_batch(session, "b1")
        claimed = await claim_batch(session, "b1", processor="p2", now=later, until=later + timedelta(minutes=1))
        assert not await retry_batch(session, "b1")  # being read

    assert put_back is not None
    assert (put_back.status, put_back.failure_reason, put_back.finished_at) == (BatchStatus.RECEIVED, None, None)
    assert put_back.counts == Counts(read=7, accepted=6, rejected=1)  # the file is read again after record 7
    assert put_back.retries == 1
    assert claimed  # nobody holds it: the next poll takes it up
    async with db.session() as session:
        assert await add_stall(session, "b1", processor="p2") == 1  # its earlier stops no longer count


async def test_batches_are_listed_newest_first_and_paged_through_batches_received_at_the_same_moment(
    db: Database,
) -> None:
    noon = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    arrivals = [
        ("a", noon, "anpr"),
        ("b", noon, "pnc"),
        ("c", noon + timedelta(seconds=1), "anpr"),
        ("d", noon, "anpr"),
    ]
    async with db.session() as session, session.begin():
        for batch_id, at, source in arrivals:
            await add_batch(session, received(batch_id, at, source=source, by="PNC-LINK" if source == "pnc" else "X"))

    async with db.session() as session:
        everything = await list_batches(session, limit=10)
        pages, last = [], None
        while page := await list_batches(session, before=last, limit=2):
            pages.append([batch.batch_id for batch in page])
            last = page[-1]
        anpr = await list_batches(session, source="anpr", limit=10)
        sent = await list_batches(session, submitted_by="PNC-LINK", limit=10)
        failed = await list_batches(session, status=BatchStatus.FAILED, limit=10)

    assert [batch.batch_id for batch in everything] == ["c", "d", "b", "a"]  # a tie goes by id, highest first
    assert pages == [["c", "d"], ["b", "a"]]
    assert [batch.batch_id for batch in anpr] == ["c", "d", "a"]
    assert [batch.batch_id for batch in sent] == ["b"]
    assert failed == []
