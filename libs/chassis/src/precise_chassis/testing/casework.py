"""A small casework domain for chassis tests and benchmarks: two events, one table, one registry."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from sqlalchemy import Column, Integer, MetaData, String, Table, select

from precise_chassis.uow import UnitOfWork
from precise_contracts.envelope import Event
from precise_contracts.registry import Route, Topic, TopicRegistry


class CaseNoteAdded(Event):
    """An investigator added a note to a case file."""

    type: ClassVar[str] = "uk.police.precise.casework.case-note-added.v1"

    case_ref: str = Field(description="The case reference, e.g. CASE/2026/0001.")
    note: str = Field(description="The note text.")

    def subject(self) -> str | None:
        return self.case_ref


class CaseClosed(Event):
    """A supervisor closed a case file."""

    type: ClassVar[str] = "uk.police.precise.casework.case-closed.v1"

    case_ref: str = Field(description="The case reference.")


REGISTRY = TopicRegistry(
    topics=(Topic(name="casework", description="Case files (test domain).", producers=("casework",)),),
    routes=(
        Route(event=CaseNoteAdded, topic="casework", consumers=("case-index",)),
        Route(event=CaseClosed, topic="casework", consumers=()),
    ),
)

metadata = MetaData()
case_notes = Table(
    "case_notes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_ref", String(40), nullable=False),
    Column("note", String(500), nullable=False),
)


async def note_count(uow: UnitOfWork, case_ref: str) -> int:
    rows = await uow.session.execute(select(case_notes.c.id).where(case_notes.c.case_ref == case_ref))
    return len(rows.all())
