"""ingest-adapters' tables and queries: batches (one per uploaded or dropped file), the rejects of each, and
the source-record ledger that makes re-ingesting idempotent."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    and_,
    any_,
    bindparam,
    delete,
    func,
    literal,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from precise_ingest.joined_text import joined
from precise_ingest.ledger_copy import COLUMNS as LEDGER_COLUMNS
from precise_ingest.ledger_copy import ledger_rows
from precise_ingest.ledger_key import key_in_postgres, ledger_key

metadata = MetaData()
UNIQUE_VIOLATION = "23505"  # PostgreSQL's SQLSTATE
_SEPARATOR = "\x1e"  # ASCII record separator

batches = Table(
    "batches",
    metadata,
    Column("batch_id", String(32), primary_key=True),
    Column("source", String(32), nullable=False),
    Column("mapping", String(100)),
    Column("filename", String(255)),
    Column("blob_key", String(300), nullable=False),
    Column("blob_sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("submitted_by", String(200), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("failure_reason", Text),
    Column("records_read", Integer, nullable=False),
    Column("records_accepted", Integer, nullable=False),
    Column("records_rejected", Integer, nullable=False),
    Column("records_duplicate", Integer, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    # the process working on the batch and until when its claim holds; it renews it with every chunk
    Column("processor", String(64)),
    Column("lease_until", DateTime(timezone=True)),
    # attempts in a row that stopped on an unexpected error before committing a chunk (ADR 0014)
    Column("stalls", Integer, nullable=False, server_default="0"),
    # times the batch was put back after it failed (`retry_batch`)
    Column("retries", Integer, nullable=False, server_default="0"),
    # batches listed newest first, a page at a time (`list_batches`)
    Index("ix_batches_received_at", "received_at", "batch_id"),
)

rejects = Table(
    "rejects",
    metadata,
    Column("reject_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("batch_id", String(32), ForeignKey("batches.batch_id"), nullable=False, index=True),
    Column("line", Integer, nullable=False),
    Column("field", String(100)),
    Column("reason", Text, nullable=False),
    Column("original", LargeBinary, nullable=False),
)

source_records = Table(
    "source_records",
    metadata,
    Column("record_key", LargeBinary(16), primary_key=True),  # precise_ingest.ledger_key: source and record id
    Column("source", String(150), nullable=False),
    Column("record_id", String(128), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("last_batch_id", String(32), nullable=False),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)


class BatchStatus(StrEnum):
    RECEIVED = "received"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


UNFINISHED = (BatchStatus.RECEIVED, BatchStatus.PROCESSING)


@dataclass(frozen=True)
class Counts:
    read: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicate: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.read + other.read,
            self.accepted + other.accepted,
            self.rejected + other.rejected,
            self.duplicate + other.duplicate,
        )


@dataclass(frozen=True)
class Batch:
    batch_id: str
    source: str
    mapping: str | None
    filename: str | None
    blob_key: str
    blob_sha256: str
    size: int
    submitted_by: str
    status: BatchStatus
    failure_reason: str | None
    counts: Counts
    received_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    retries: int = 0


@dataclass(frozen=True)
class RejectRow:
    line: int
    field: str | None
    reason: str
    original: bytes


async def add_batch(session: AsyncSession, batch: Batch) -> None:
    await session.execute(
        batches.insert().values(
            batch_id=batch.batch_id,
            source=batch.source,
            mapping=batch.mapping,
            filename=batch.filename,
            blob_key=batch.blob_key,
            blob_sha256=batch.blob_sha256,
            size=batch.size,
            submitted_by=batch.submitted_by,
            status=batch.status.value,
            failure_reason=batch.failure_reason,
            records_read=batch.counts.read,
            records_accepted=batch.counts.accepted,
            records_rejected=batch.counts.rejected,
            records_duplicate=batch.counts.duplicate,
            received_at=batch.received_at,
        )
    )


async def get_batch(session: AsyncSession, batch_id: str) -> Batch | None:
    row = (await session.execute(select(batches).where(batches.c.batch_id == batch_id))).mappings().first()
    return None if row is None else _batch_of(row)


async def list_batches(
    session: AsyncSession,
    *,
    status: BatchStatus | None = None,
    source: str | None = None,
    submitted_by: str | None = None,
    before: Batch | None = None,
    limit: int,
) -> list[Batch]:
    """Batches newest first (by when they were received), those of a status, a source or a submitter only when
    given; a page ends with the batch before `before` (the last one of the previous page)."""
    query = select(batches).order_by(batches.c.received_at.desc(), batches.c.batch_id.desc()).limit(limit)
    if status is not None:
        query = query.where(batches.c.status == status.value)
    if source is not None:
        query = query.where(batches.c.source == source)
    if submitted_by is not None:
        query = query.where(batches.c.submitted_by == submitted_by)
    if before is not None:
        query = query.where(tuple_(batches.c.received_at, batches.c.batch_id) < (before.received_at, before.batch_id))
    return [_batch_of(row) for row in (await session.execute(query)).mappings()]


def _batch_of(row: RowMapping) -> Batch:
    return Batch(
        batch_id=row["batch_id"],
        source=row["source"],
        mapping=row["mapping"],
        filename=row["filename"],
        blob_key=row["blob_key"],
        blob_sha256=row["blob_sha256"],
        size=row["size"],
        submitted_by=row["submitted_by"],
        status=BatchStatus(row["status"]),
        failure_reason=row["failure_reason"],
        counts=Counts(row["records_read"], row["records_accepted"], row["records_rejected"], row["records_duplicate"]),
        received_at=_utc(row["received_at"]) or row["received_at"],
        started_at=_utc(row["started_at"]),
        finished_at=_utc(row["finished_at"]),
        retries=row["retries"],
    )


async def unclaimed_batches(session: AsyncSession, now: datetime) -> list[str]:
    """Unfinished batches no live process holds (never started, or their processor stopped renewing)."""
    rows = await session.execute(select(batches.c.batch_id).where(_claimable(now)).order_by(batches.c.received_at))
    return list(rows.scalars())


async def claim_batch(session: AsyncSession, batch_id: str, *, processor: str, now: datetime, until: datetime) -> bool:
    """Take the batch for this processor; False if it is finished or another live process holds it."""
    result = await session.execute(
        update(batches)
        .where(batches.c.batch_id == batch_id, _claimable(now))
        .values(status=BatchStatus.PROCESSING.value, processor=processor, lease_until=until)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        await session.execute(
            update(batches).where(batches.c.batch_id == batch_id, batches.c.started_at.is_(None)).values(started_at=now)
        )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def add_counts(session: AsyncSession, batch_id: str, counts: Counts, *, processor: str, until: datetime) -> bool:
    """Add a chunk's counts and renew the claim; False if this processor no longer holds the batch."""
    result = await session.execute(
        update(batches)
        .where(batches.c.batch_id == batch_id, batches.c.processor == processor)
        .values(
            records_read=batches.c.records_read + counts.read,
            records_accepted=batches.c.records_accepted + counts.accepted,
            records_rejected=batches.c.records_rejected + counts.rejected,
            records_duplicate=batches.c.records_duplicate + counts.duplicate,
            lease_until=until,
            stalls=0,
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def add_stall(session: AsyncSession, batch_id: str, *, processor: str) -> int | None:
    """Count an attempt that stopped before committing a chunk; the attempts in a row so far, or None if this
    processor no longer holds the batch."""
    result = await session.execute(
        update(batches)
        .where(batches.c.batch_id == batch_id, batches.c.processor == processor)
        .values(stalls=batches.c.stalls + 1)
        .returning(batches.c.stalls)
    )
    stalls: int | None = result.scalar_one_or_none()
    return stalls


async def finish_batch(
    session: AsyncSession, batch_id: str, status: BatchStatus, *, processor: str, now: datetime, reason: str | None
) -> None:
    await session.execute(
        update(batches)
        .where(batches.c.batch_id == batch_id, batches.c.processor == processor)
        .values(status=status.value, failure_reason=reason, finished_at=now, lease_until=None)
    )


async def retry_batch(session: AsyncSession, batch_id: str) -> bool:
    """Put a failed batch back to be read again, from after its last committed chunk; False if it has not failed
    (it has completed, or is being read)."""
    result = await session.execute(
        update(batches)
        .where(batches.c.batch_id == batch_id, batches.c.status == BatchStatus.FAILED.value)
        .values(
            status=BatchStatus.RECEIVED.value,
            failure_reason=None,
            finished_at=None,
            processor=None,
            lease_until=None,
            stalls=0,
            retries=batches.c.retries + 1,
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def add_rejects(session: AsyncSession, batch_id: str, rows: Sequence[RejectRow]) -> None:
    if rows:
        await session.execute(
            rejects.insert(),
            [
                {"batch_id": batch_id, "line": r.line, "field": r.field, "reason": r.reason, "original": r.original}
                for r in rows
            ],
        )


async def list_rejects(
    session: AsyncSession, batch_id: str, *, after: int = 0, limit: int
) -> list[tuple[int, RejectRow]]:
    """A page of a batch's rejects in file order, each with its id (the cursor for the next page)."""
    rows = await session.execute(
        select(rejects)
        .where(rejects.c.batch_id == batch_id, rejects.c.reject_id > after)
        .order_by(rejects.c.reject_id)
        .limit(limit)
    )
    return [
        (row["reject_id"], RejectRow(row["line"], row["field"], row["reason"], row["original"]))
        for row in rows.mappings()
    ]


async def ledger_hashes(session: AsyncSession, source: str, record_ids: Iterable[str]) -> dict[str, str]:
    """The content hash last published for each of these records of the source (absent: never seen)."""
    wanted = list(set(record_ids))
    if not wanted:
        return {}
    if _on_postgres(session):
        await _plan_for_now(session)
    rows = await session.execute(
        select(source_records.c.record_id, source_records.c.content_hash).where(_in_ledger(session, source, wanted))
    )
    return dict(rows.all())


def _in_ledger(session: AsyncSession, source: str, record_ids: list[str]) -> ColumnElement[bool]:
    """The ledger rows of these records of the source, found by their keys."""
    if _on_postgres(session):
        # one list parameter rather than thousands of bound values (a chunk is up to 10,000 reads), and the
        # keys computed by PostgreSQL into an array first, so each is one probe of the ledger's index
        ids = func.unnest(_text_list("wanted_ids", record_ids)).table_valued("record_id").render_derived(name="wanted")
        keys = select(key_in_postgres(source, ids.c.record_id)).scalar_subquery()
        return source_records.c.record_key == any_(func.array(keys))
    return source_records.c.record_key.in_([ledger_key(source, record_id) for record_id in record_ids])


async def enter_in_ledger(
    session: AsyncSession, source: str, records: Sequence[tuple[str, str]], *, batch_id: str, now: datetime
) -> dict[str, str]:
    """Enter each record (id, content hash) the ledger has never seen, with its first content hash here, and
    return the content hash the ledger already held for each of the others.

    Entering first, rather than looking every record up, costs new records (nearly every ANPR read) one index
    insertion instead of a lookup and an insertion. A concurrent batch that entered one of these records first
    makes this statement wait for that batch, and then find the record held.
    """
    record_ids = [record_id for record_id, _ in records]
    if len(set(record_ids)) == len(record_ids):
        first = dict(records)
    else:
        first = {}
        for record_id, digest in records:
            first.setdefault(record_id, digest)
    if not first:
        return {}
    postgres = _on_postgres(session)
    statement = (postgresql.insert if postgres else sqlite.insert)(source_records)
    columns = list(LEDGER_COLUMNS)
    if postgres:
        if await _copied_all(session, ledger_rows(source, first, batch_id)):
            return {}  # all new, as nearly every ANPR read is: nothing to read back
        # some held: one statement for the chunk, ids and hashes as two lists unnested into rows, keyed by
        # PostgreSQL, entering what is new
        incoming = (
            func.unnest(_text_list("ids", list(first)), _text_list("hashes", list(first.values())))
            .table_valued("record_id", "content_hash")
            .render_derived(name="incoming")
        )
        stamp = literal(now, DateTime(timezone=True))
        batch = literal(batch_id, String)
        key = key_in_postgres(source, incoming.c.record_id).label("record_key")
        # in key order, as `ledger_rows` are: two batches entering the same records lock them in the same order
        rows = select(key, literal(source, String), incoming.c.record_id, incoming.c.content_hash, batch, stamp, stamp)
        entering = statement.from_select(columns, rows.order_by(key))
        await session.execute(entering.on_conflict_do_nothing(index_elements=["record_key"]))
        # the held ones are those this statement did not enter: entered rows carry this chunk's batch and time
        await _plan_for_now(session)
        held = await session.execute(
            select(source_records.c.record_id, source_records.c.content_hash).where(
                _in_ledger(session, source, list(first)),
                or_(source_records.c.last_batch_id != batch_id, source_records.c.first_seen_at != now),
            )
        )
        return dict(held.all())
    keys = {ledger_key(source, record_id): record_id for record_id in first}
    values = [
        dict(zip(columns, (key, source, record_id, first[record_id], batch_id, now, now), strict=True))
        for key, record_id in keys.items()
    ]
    entered_keys = await session.execute(
        statement.on_conflict_do_nothing(index_elements=["record_key"]).returning(source_records.c.record_key),
        values,
    )
    new = {keys[key] for key in entered_keys.scalars()}
    others = [record_id for record_id in first if record_id not in new]
    return await ledger_hashes(session, source, others) if others else {}


def _text_list(name: str, values: list[str]) -> ColumnElement[Any]:
    """The values as a PostgreSQL text[]: sent as one text joined by a separator no value holds (nearly always)
    and split by PostgreSQL, rather than as an array the driver encodes element by element, which costs the
    service process a microsecond a value; any value holding the separator, or empty, goes as an array."""
    text = joined(values, _SEPARATOR)
    if text is not None and "" not in values:
        return func.string_to_array(bindparam(f"{name}_joined", text, type_=Text), _SEPARATOR, type_=ARRAY(Text))
    return bindparam(name, values, type_=ARRAY(Text))


async def _copied_all(session: AsyncSession, rows: bytes) -> bool:
    """Whether COPY entered every record (`ledger_rows`). A record already held fails it with a unique violation,
    and the savepoint undoes what it had entered."""
    # the schema `Database.postgres` maps the service's tables to
    schema = session.sync_session.get_bind().get_execution_options().get("schema_translate_map", {}).get(None)
    try:
        async with session.begin_nested():
            # the driver's COPY is in the transaction only once SQLAlchemy has begun it on the server, which it
            # does lazily, at the session's first statement: asking for the connection here emits the savepoint
            connection = await session.connection()
            driver = (await connection.get_raw_connection()).driver_connection
            assert driver is not None, "a connection in a transaction has its driver's connection"
            await driver.copy_to_table(
                source_records.name, schema_name=schema, columns=LEDGER_COLUMNS, source=io.BytesIO(rows)
            )
    except Exception as error:  # the driver's own exception type: PostgreSQL's code says what it is
        if getattr(error, "sqlstate", None) != UNIQUE_VIOLATION:
            raise
        return False
    return True


async def settle_in_ledger(
    session: AsyncSession,
    source: str,
    *,
    changed: Sequence[tuple[str, str]],
    withdrawn: Sequence[str],
    batch_id: str,
    now: datetime,
) -> None:
    """After a chunk is published: the new content hash of each changed record, and no entry for the records
    entered by `enter_in_ledger` that were not published after all (their event could not be built)."""
    if changed:  # one statement for the chunk, executed for every changed record
        await session.execute(
            update(source_records)
            .where(source_records.c.record_key == bindparam("changed_key"))
            .values(content_hash=bindparam("changed_hash"), last_batch_id=batch_id, changed_at=now),
            [{"changed_key": ledger_key(source, record_id), "changed_hash": digest} for record_id, digest in changed],
        )
    if withdrawn:
        keys = sorted(ledger_key(source, record_id) for record_id in withdrawn)
        await session.execute(delete(source_records).where(source_records.c.record_key.in_(keys)))


async def _plan_for_now(session: AsyncSession) -> None:
    """Plan this transaction's statements for the ledger as it is now. The driver prepares each statement once
    per connection, and after five runs PostgreSQL may keep one generic plan costed on the table as it was
    then: a lookup of 5,000 ids planned on an empty ledger went on scanning it whole at 400,000 rows (30 s a
    chunk instead of 75 ms). Planning costs tens of microseconds; only lookups of many ids need it."""
    await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def _on_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _claimable(now: datetime) -> ColumnElement[bool]:
    return and_(
        batches.c.status.in_([status.value for status in UNFINISHED]),
        or_(batches.c.lease_until.is_(None), batches.c.lease_until < now),
    )


def _utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; every time stored here is UTC
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
