"""The permission matrix, checked against the policy a force would state in words."""

from __future__ import annotations

import pytest

from precise_chassis.auth.roles import PERMISSIONS, Permission, Role, grants

# Permissions that read or change personal data (people, their risk, media showing them, forms about them).
PERSONAL_DATA = {
    Permission.PROFILE_READ,
    Permission.PROFILE_MERGE,
    Permission.RISK_READ,
    Permission.EVIDENCE_READ,
    Permission.EVIDENCE_EXPORT,
    Permission.REDACTION_CREATE,
    Permission.REDACTION_APPROVE,
    Permission.CPS_SHARE,
    Permission.CPS_REVIEW,
    Permission.FORMS_READ,
    Permission.FORMS_APPROVE,
    Permission.DEADLETTER_MANAGE,
}


def holders(permission: Permission) -> set[Role]:
    return {role for role in Role if grants(role, permission)}


def test_every_role_has_a_row_and_every_permission_a_holder() -> None:
    assert set(PERMISSIONS) == set(Role)
    assert all(holders(permission) for permission in Permission)


def test_call_handlers_read_risk_summaries_but_not_evidence_or_profiles() -> None:
    assert PERMISSIONS[Role.CALL_HANDLER] == {Permission.RISK_READ}


def test_auditors_read_the_audit_log_and_no_personal_data() -> None:
    assert PERMISSIONS[Role.AUDITOR] == {Permission.AUDIT_READ}
    assert holders(Permission.AUDIT_READ) == {Role.AUDITOR}


def test_a_cps_reviewer_sees_only_material_shared_with_the_cps() -> None:
    assert PERMISSIONS[Role.CPS_REVIEWER] == {Permission.CPS_REVIEW}
    assert holders(Permission.CPS_REVIEW) == {Role.CPS_REVIEWER}


def test_the_ingest_client_only_pushes_records_and_nobody_else_does() -> None:
    assert PERMISSIONS[Role.INGEST_SYSTEM] == {Permission.INGEST_WRITE}
    assert holders(Permission.INGEST_WRITE) == {Role.INGEST_SYSTEM}
    assert not PERMISSIONS[Role.INGEST_SYSTEM] & PERSONAL_DATA


def test_only_disclosure_officers_send_material_to_the_cps() -> None:
    assert holders(Permission.CPS_SHARE) == {Role.DISCLOSURE_OFFICER}


def test_redactions_are_approved_by_disclosure_officers_or_supervisors_not_by_media_staff() -> None:
    assert holders(Permission.REDACTION_APPROVE) == {Role.DISCLOSURE_OFFICER, Role.SUPERVISOR}
    assert grants(Role.EVIDENCE_OFFICER, Permission.REDACTION_CREATE)


def test_only_supervisors_approve_forms() -> None:
    assert holders(Permission.FORMS_APPROVE) == {Role.SUPERVISOR}


def test_court_copies_of_evidence_come_only_from_evidence_officers() -> None:
    assert holders(Permission.EVIDENCE_EXPORT) == {Role.EVIDENCE_OFFICER}


@pytest.mark.parametrize("role", [Role.RESPONSE_OFFICER, Role.INVESTIGATOR, Role.EVIDENCE_OFFICER])
def test_officers_who_capture_media_can_upload_it(role: Role) -> None:
    assert grants(role, Permission.EVIDENCE_UPLOAD)


def test_analysts_resolve_identities_but_never_see_evidence() -> None:
    assert grants(Role.ANALYST, Permission.PROFILE_MERGE)
    assert not {p for p in PERMISSIONS[Role.ANALYST] if p.value.startswith(("evidence:", "redaction:", "cps:"))}


def test_the_matrix_cannot_be_changed_at_run_time() -> None:
    with pytest.raises(TypeError):
        PERMISSIONS[Role.CALL_HANDLER] = frozenset(Permission)  # type: ignore[index]
