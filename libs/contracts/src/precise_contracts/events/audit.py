"""Audit events: every read of personal data, by whom, for what purpose."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from precise_contracts.envelope import Event


class PersonalDataAccessed(Event):
    """A caller read (or was refused) personal data. Written to the service's append-only audit log in the
    same transaction, and published so a force-wide audit store can keep it."""

    type: ClassVar[str] = "uk.police.precise.audit.personal-data-accessed.v1"

    audit_id: str = Field(description="Id of the audit record in the service's append-only log.")
    service: str = Field(description="The Precise service that served the read.")
    actor: str = Field(description="The caller's subject (officer or system id) from the verified token.")
    role: str = Field(description="The role the caller acted in.")
    purpose_reference: str = Field(description="Incident or case reference the read was made for.")
    purpose_reason: str = Field(description="Why the caller needed the data, in their words.")
    action: str = Field(description="The permission exercised, e.g. risk:read.")
    resource: str = Field(description="What was read: the route or entity type.")
    subject_ref: str | None = Field(description="The id of the person or item read, where there is one.")
    outcome: Literal["allowed", "denied", "not-found", "error"] = Field(description="How the read ended.")
    at: AwareDatetime = Field(description="When the read happened (UTC).")

    def subject(self) -> str | None:
        return self.subject_ref
