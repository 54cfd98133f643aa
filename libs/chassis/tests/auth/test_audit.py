"""The audit log on both backends: a record and its event commit together, and nothing can rewrite it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import Executable

from precise_chassis.auth.audit import AuditEntry, DatabaseAuditSink, append_only_ddl, audit_records
from precise_chassis.database import Database
from precise_chassis.outbox import stored_envelope
from precise_chassis.tables import audit_log, outbox
from precise_chassis.uow import NotAProducer
from precise_contracts.envelope import Envelope
from precise_contracts.events.audit import PersonalDataAccessed
from precise_contracts.registry import REGISTRY, Route, Topic, TopicRegistry


def entry(**overrides: Any) -> AuditEntry:
    fields: dict[str, Any] = {
        "actor": "dc-3141",
        "role": "investigator",
        "purpose_reference": "CASE/2026/0815",
        "purpose_reason": "building the case file",
        "action": "profile:read",
        "resource": "/profiles/persons/{person_id}",
        "subject_ref": "P-000123",
        "outcome": "allowed",
        "at": datetime(2026, 11, 22, 9, 30, tzinfo=UTC),
        "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
    }
    return AuditEntry(**{**fields, **overrides})


async def outbox_envelopes(db: Database) -> list[Envelope]:
    async with db.session() as session:
        rows = (await session.execute(select(outbox.c.attributes, outbox.c.data))).all()
    return [stored_envelope(*row) for row in rows]


async def test_a_record_and_its_event_are_committed_together(db: Database) -> None:
    commits: list[int] = []
    sink = DatabaseAuditSink(db, service="person-profile", registry=REGISTRY, on_commit=lambda: commits.append(1))
    written = entry(at=datetime(2026, 11, 22, 10, 30, tzinfo=timezone(timedelta(hours=1))))
    await sink.record(written)

    (stored,) = await audit_records(db)
    assert stored == entry(audit_id=written.audit_id, at=datetime(2026, 11, 22, 9, 30, tzinfo=UTC))
    (envelope,) = await outbox_envelopes(db)
    assert (envelope.id, envelope.type, envelope.source) == (
        written.audit_id,
        PersonalDataAccessed.type,
        "/precise/person-profile",
    )
    event = envelope.decode(PersonalDataAccessed)
    assert event.service == "person-profile"
    assert (event.actor, event.role, event.action, event.outcome) == (
        "dc-3141",
        "investigator",
        "profile:read",
        "allowed",
    )
    assert (event.purpose_reference, event.purpose_reason) == ("CASE/2026/0815", "building the case file")
    assert (event.resource, event.subject_ref, envelope.subject) == (
        "/profiles/persons/{person_id}",
        "P-000123",
        "P-000123",
    )
    assert event.at == datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
    assert commits == [1]


async def test_no_record_is_kept_when_its_event_cannot_be_published(db: Database) -> None:
    audit_elsewhere = TopicRegistry(
        topics=(Topic(name="audit", description="audit", producers=("someone-else",)),),
        routes=(Route(event=PersonalDataAccessed, topic="audit"),),
    )
    with pytest.raises(NotAProducer):
        await DatabaseAuditSink(db, service="person-profile", registry=audit_elsewhere).record(entry())
    assert await audit_records(db) == []
    assert await outbox_envelopes(db) == []


async def test_an_overlong_path_value_is_cut_to_fit_rather_than_losing_the_record(db: Database) -> None:
    await DatabaseAuditSink(db, service="risk-summary", registry=REGISTRY).record(entry(subject_ref="P" * 1000))
    (stored,) = await audit_records(db)
    assert stored.subject_ref == "P" * 200


async def test_records_are_read_newest_first_by_actor_or_subject(db: Database) -> None:
    sink = DatabaseAuditSink(db, service="risk-summary", registry=REGISTRY)
    for n, (actor, subject) in enumerate([("a", "P-1"), ("b", "P-1"), ("a", "P-2"), ("a", "P-1")]):
        await sink.record(entry(actor=actor, subject_ref=subject, purpose_reason=f"read {n}"))

    assert [r.purpose_reason for r in await audit_records(db)] == ["read 3", "read 2", "read 1", "read 0"]
    assert [r.purpose_reason for r in await audit_records(db, actor="a")] == ["read 3", "read 2", "read 0"]
    assert [r.purpose_reason for r in await audit_records(db, actor="a", subject_ref="P-1")] == [
        "read 3",
        "read 0",
    ]
    assert [r.purpose_reason for r in await audit_records(db, limit=1)] == ["read 3"]
    assert all(r.at.tzinfo is not None for r in await audit_records(db))
    with pytest.raises(ValueError, match="between 1 and 1000"):
        await audit_records(db, limit=0)


async def test_the_audit_log_refuses_to_be_rewritten_or_erased(db: Database) -> None:
    sink = DatabaseAuditSink(db, service="evidence-vault", registry=REGISTRY)
    await sink.record(entry(outcome="denied"))
    attempts: list[Executable] = [update(audit_log).values(outcome="allowed"), delete(audit_log)]
    if db.schema is not None:
        attempts.append(text(f'TRUNCATE "{db.schema}".audit_log'))
    for attempt in attempts:
        async with db.session() as session:
            with pytest.raises(DBAPIError, match="audit_log is append-only"):
                await session.execute(attempt)
            await session.rollback()

    # the DDL is safe to run again, and appending still works
    async with db.engine.begin() as conn:
        if db.schema is not None:
            await conn.execute(text(f'SET LOCAL search_path TO "{db.schema}"'))
        for statement in append_only_ddl(db.dialect):
            await conn.execute(text(statement))
    await sink.record(entry())
    async with db.session() as session:
        outcomes = (await session.execute(select(audit_log.c.outcome).order_by(audit_log.c.seq))).scalars().all()
        assert outcomes == ["denied", "allowed"]
        assert await session.scalar(select(func.count()).select_from(audit_log)) == 2


def test_there_is_no_append_only_ddl_for_an_unknown_database() -> None:
    with pytest.raises(ValueError, match="mysql"):
        append_only_ddl("mysql")
