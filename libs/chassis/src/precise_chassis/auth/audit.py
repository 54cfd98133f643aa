"""The audit trail of personal data access: who, in which role, for what purpose, did what, when.

Each record goes to the service's append-only `audit_log` table and, in the same transaction, to the
outbox as `PersonalDataAccessed`, so a force-wide audit store receives every record that was committed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from sqlalchemy import select

from precise_chassis.database import Database
from precise_chassis.tables import audit_log
from precise_chassis.uow import UnitOfWork
from precise_contracts.events.audit import PersonalDataAccessed
from precise_contracts.registry import TopicRegistry

Outcome = Literal["allowed", "denied", "not-found", "error"]
MAX_PAGE = 1000


@dataclass(frozen=True)
class AuditEntry:
    actor: str
    role: str
    purpose_reference: str
    purpose_reason: str
    action: str
    resource: str
    subject_ref: str | None
    outcome: Outcome
    at: datetime
    trace_id: str | None = None
    audit_id: str = field(default_factory=lambda: str(uuid.uuid4()))


class AuditSink(Protocol):
    async def record(self, entry: AuditEntry) -> None: ...


class DatabaseAuditSink:
    """Writes each entry to the service's audit log and its outbox in one transaction."""

    def __init__(
        self,
        db: Database,
        *,
        service: str,
        registry: TopicRegistry,
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._db = db
        self._service = service
        self._registry = registry
        self._on_commit = on_commit

    async def record(self, entry: AuditEntry) -> None:
        entry = _fitted(entry)
        uow = UnitOfWork(self._db, service=self._service, registry=self._registry, on_commit=self._on_commit)
        async with uow:
            await uow.session.execute(audit_log.insert().values(**asdict(entry)))
            # The audit id doubles as the event id, so the force-wide store can drop a redelivered record.
            uow.publish(
                PersonalDataAccessed(
                    audit_id=entry.audit_id,
                    service=self._service,
                    actor=entry.actor,
                    role=entry.role,
                    purpose_reference=entry.purpose_reference,
                    purpose_reason=entry.purpose_reason,
                    action=entry.action,
                    resource=entry.resource,
                    subject_ref=entry.subject_ref,
                    outcome=entry.outcome,
                    at=entry.at,
                ),
                event_id=entry.audit_id,
            )


def _fitted(entry: AuditEntry) -> AuditEntry:
    """In UTC, each text cut to its column's width: a long path parameter must not make the write fail."""
    cut: dict[str, Any] = {
        name: value[:length]
        for name, value in asdict(entry).items()
        if isinstance(value, str)
        and (length := getattr(audit_log.c[name].type, "length", None)) is not None
        and len(value) > length
    }
    return replace(entry, **cut, at=entry.at.astimezone(UTC))


async def audit_records(
    db: Database,
    *,
    actor: str | None = None,
    subject_ref: str | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """The newest audit records first, optionally only one actor's or only those about one subject."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE}")
    query = select(audit_log).order_by(audit_log.c.seq.desc()).limit(limit)
    if actor is not None:
        query = query.where(audit_log.c.actor == actor)
    if subject_ref is not None:
        query = query.where(audit_log.c.subject_ref == subject_ref)
    async with db.session() as session:
        rows = (await session.execute(query)).mappings().all()
    return [
        AuditEntry(
            actor=row["actor"],
            role=row["role"],
            purpose_reference=row["purpose_reference"],
            purpose_reason=row["purpose_reason"],
            action=row["action"],
            resource=row["resource"],
            subject_ref=row["subject_ref"],
            outcome=row["outcome"],
            # SQLite hands back naive datetimes; every `at` was written in UTC.
            at=row["at"] if row["at"].tzinfo else row["at"].replace(tzinfo=UTC),
            trace_id=row["trace_id"],
            audit_id=row["audit_id"],
        )
        for row in rows
    ]


_REFUSAL = "audit_log is append-only"


def append_only_ddl(dialect: str) -> list[str]:
    """Statements that make `audit_log` refuse UPDATE and DELETE (and TRUNCATE in PostgreSQL).

    One statement per item, for a migration to execute in order with the service's schema first on the
    search path. Triggers stop the application; in production the app's database role should also not
    own the table (an owner can disable triggers).
    """
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER IF NOT EXISTS audit_log_no_{operation.lower()} BEFORE {operation} ON audit_log "
            f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL}: {operation} is not allowed'); END"
            for operation in ("UPDATE", "DELETE")
        ]
    if dialect == "postgresql":
        function, table = "audit_log_refuse_change", "audit_log"
        return [
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{_REFUSAL}: % is not allowed', TG_OP; END $$",
            f"DROP TRIGGER IF EXISTS audit_log_no_change ON {table}",
            f"CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()",
            f"DROP TRIGGER IF EXISTS audit_log_no_truncate ON {table}",
            f"CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        ]
    raise ValueError(f"no append-only DDL for the {dialect} dialect")
