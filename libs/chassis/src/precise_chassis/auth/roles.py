"""Who may do what: the roles a force assigns (Entra ID app roles) and the one permission matrix.

Services check permissions, never roles, so a change of policy is a change to `PERMISSIONS` alone.
Finer rules (an officer sees only their own forms, the approver of a redaction is not its author) are
the services' domain rules on top of this matrix.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class Role(StrEnum):
    CALL_HANDLER = "call-handler"
    RESPONSE_OFFICER = "response-officer"
    INVESTIGATOR = "investigator"
    ANALYST = "analyst"
    EVIDENCE_OFFICER = "evidence-officer"
    DISCLOSURE_OFFICER = "disclosure-officer"
    CPS_REVIEWER = "cps-reviewer"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    INGEST_SYSTEM = "ingest-system"


class Permission(StrEnum):
    # ingest-adapters
    INGEST_WRITE = "ingest:write"
    INGEST_READ = "ingest:read"
    # person-profile
    PROFILE_READ = "profile:read"
    PROFILE_MERGE = "profile:merge"
    # risk-summary
    RISK_READ = "risk:read"
    # evidence-vault
    EVIDENCE_UPLOAD = "evidence:upload"
    EVIDENCE_READ = "evidence:read"
    EVIDENCE_EXPORT = "evidence:export"
    # redaction
    REDACTION_CREATE = "redaction:create"
    REDACTION_APPROVE = "redaction:approve"
    # share-to-cps
    CPS_SHARE = "cps:share"
    CPS_REVIEW = "cps:review"
    # workflow-forms
    FORMS_SUBMIT = "forms:submit"
    FORMS_READ = "forms:read"
    FORMS_APPROVE = "forms:approve"
    # platform
    AUDIT_READ = "audit:read"
    DEADLETTER_MANAGE = "deadletter:manage"


_P = Permission

PERMISSIONS: Mapping[Role, frozenset[Permission]] = MappingProxyType(
    {
        # The control room briefs officers before they arrive (THRIVE): the explainable risk summary is
        # made for that; full profiles and evidence are not theirs to browse.
        Role.CALL_HANDLER: frozenset({_P.RISK_READ}),
        # At the scene: who is this, how risky, capture body-worn video and photos, file their forms.
        Role.RESPONSE_OFFICER: frozenset(
            {_P.RISK_READ, _P.PROFILE_READ, _P.EVIDENCE_UPLOAD, _P.FORMS_SUBMIT, _P.FORMS_READ}
        ),
        # The officer in the case builds it; exporting and sharing go through evidence and disclosure staff.
        Role.INVESTIGATOR: frozenset(
            {
                _P.RISK_READ,
                _P.PROFILE_READ,
                _P.EVIDENCE_UPLOAD,
                _P.EVIDENCE_READ,
                _P.FORMS_SUBMIT,
                _P.FORMS_READ,
            }
        ),
        # Analysts resolve identities across source systems and check what was ingested; no evidence.
        Role.ANALYST: frozenset({_P.RISK_READ, _P.PROFILE_READ, _P.PROFILE_MERGE, _P.INGEST_READ}),
        # Digital media unit: keeps exhibits, produces court copies, prepares redactions; no intelligence.
        Role.EVIDENCE_OFFICER: frozenset(
            {_P.EVIDENCE_UPLOAD, _P.EVIDENCE_READ, _P.EVIDENCE_EXPORT, _P.REDACTION_CREATE}
        ),
        # CPIA disclosure: reviews material, approves what is redacted and sends it to the CPS.
        Role.DISCLOSURE_OFFICER: frozenset(
            {_P.EVIDENCE_READ, _P.REDACTION_CREATE, _P.REDACTION_APPROVE, _P.CPS_SHARE, _P.FORMS_READ}
        ),
        # An external prosecutor: sees only what was shared with the CPS, never the vault or profiles.
        Role.CPS_REVIEWER: frozenset({_P.CPS_REVIEW}),
        # Sergeants and inspectors: approve forms and redactions, confirm merges, read what their team
        # reads, and own the queue of stuck work (dead-lettered events hold personal data).
        Role.SUPERVISOR: frozenset(
            {
                _P.RISK_READ,
                _P.PROFILE_READ,
                _P.PROFILE_MERGE,
                _P.EVIDENCE_READ,
                _P.REDACTION_APPROVE,
                _P.FORMS_READ,
                _P.FORMS_APPROVE,
                _P.INGEST_READ,
                _P.DEADLETTER_MANAGE,
            }
        ),
        # Professional standards and the DPO read who accessed what, but none of the personal data itself.
        Role.AUDITOR: frozenset({_P.AUDIT_READ}),
        # A machine client (source-system connector) that only pushes records in.
        Role.INGEST_SYSTEM: frozenset({_P.INGEST_WRITE}),
    }
)


def grants(role: Role, permission: Permission) -> bool:
    return permission in PERMISSIONS[role]
