"""Authentication, roles and permissions, stated purpose and the audit trail of personal data access."""

from precise_chassis.auth.audit import AuditEntry, AuditSink, DatabaseAuditSink
from precise_chassis.auth.dependencies import Access, authenticated, personal_data, require
from precise_chassis.auth.purpose import Purpose
from precise_chassis.auth.roles import PERMISSIONS, Permission, Role
from precise_chassis.auth.tokens import Caller, TokenVerifier

__all__ = [
    "PERMISSIONS",
    "Access",
    "AuditEntry",
    "AuditSink",
    "Caller",
    "DatabaseAuditSink",
    "Permission",
    "Purpose",
    "Role",
    "TokenVerifier",
    "authenticated",
    "personal_data",
    "require",
]
