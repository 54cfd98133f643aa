"""FastAPI dependencies: who is calling, may they, and, for personal data, why, written to the audit log.

The app provides the verifier and the audit sink on `app.state.precise_auth` and `app.state.precise_audit`,
and registers `install_auth_problems(app)` so refusals are RFC 9457 problem details.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from opentelemetry import trace

from precise_chassis.auth.audit import AuditEntry, AuditSink
from precise_chassis.auth.purpose import PURPOSE_HEADER, Purpose, PurposeError, parse_purpose
from precise_chassis.auth.roles import Permission, Role
from precise_chassis.auth.tokens import Caller, InvalidToken, KeysUnavailable, TokenVerifier


class AuthProblem(HTTPException):
    """A refusal with a title and a reason. Without `install_auth_problems` it still renders, as
    FastAPI's plain {"detail": ...}."""

    def __init__(self, status: int, title: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code=status, detail=detail, headers=headers)
        self.title = title


async def _problem_response(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, AuthProblem):
        raise exc
    return JSONResponse(
        {"type": "about:blank", "title": exc.title, "status": exc.status_code, "detail": exc.detail},
        status_code=exc.status_code,
        headers=exc.headers,
        media_type="application/problem+json",
    )


def install_auth_problems(app: FastAPI) -> None:
    app.add_exception_handler(AuthProblem, _problem_response)


@dataclass(frozen=True)
class Access:
    """An audited, purposeful read: the route may now read the data."""

    caller: Caller
    role: Role
    purpose: Purpose
    permission: Permission


def token_verifier(request: Request) -> TokenVerifier:
    verifier: TokenVerifier | None = getattr(request.app.state, "precise_auth", None)
    if verifier is None:
        raise RuntimeError("app.state.precise_auth is not set: the app has no token verifier")
    return verifier


def audit_sink(request: Request) -> AuditSink:
    sink: AuditSink | None = getattr(request.app.state, "precise_audit", None)
    if sink is None:
        raise RuntimeError("app.state.precise_audit is not set: the app has no audit sink")
    return sink


_bearer = HTTPBearer(auto_error=False, description="An Entra ID access token (dev issuer: `precise token`).")


async def authenticated(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    verifier: Annotated[TokenVerifier, Depends(token_verifier)],
) -> Caller:
    if credentials is None:
        raise AuthProblem(
            401,
            "Authentication required",
            "send a bearer token: 'Authorization: Bearer <token>'",
            {"WWW-Authenticate": "Bearer"},
        )
    try:
        return await verifier.verify(credentials.credentials)
    except InvalidToken as exc:
        raise AuthProblem(
            401, "Invalid bearer token", str(exc), {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        ) from exc
    except KeysUnavailable as exc:
        raise AuthProblem(503, "Identity provider unavailable", str(exc)) from exc


def _forbidden(caller: Caller, *permissions: Permission) -> AuthProblem:
    held = ", ".join(caller.roles) or "no Precise role"
    wanted = " or ".join(permissions)
    return AuthProblem(403, "Not permitted", f"{wanted} is not granted to {held}")


def require(*permissions: Permission) -> Callable[..., Coroutine[Any, Any, Caller]]:
    """A caller with a role granting one of `permissions`, for routes that read no personal data."""

    async def permitted(caller: Annotated[Caller, Depends(authenticated)]) -> Caller:
        if all(caller.role_for(permission) is None for permission in permissions):
            raise _forbidden(caller, *permissions)
        return caller

    return permitted


def personal_data(permission: Permission) -> Callable[..., Coroutine[Any, Any, Access]]:
    """A permitted caller with a stated purpose, audited before the route reads anything.

    A permitted caller without a valid purpose gets 400 and reads nothing; a caller without the
    permission is refused with 403 and the attempt is audited as denied, with whatever they stated.
    """

    async def audited(
        request: Request,
        caller: Annotated[Caller, Depends(authenticated)],
        sink: Annotated[AuditSink, Depends(audit_sink)],
        stated: Annotated[str | None, Header(alias=PURPOSE_HEADER)] = None,
    ) -> Access:
        role = caller.role_for(permission)
        try:
            purpose: Purpose | None = parse_purpose(stated)
        except PurposeError as exc:
            if role is not None:
                raise AuthProblem(400, "Purpose required", str(exc)) from exc
            purpose = None
        entry = AuditEntry(
            actor=caller.subject,
            role=role or ",".join(caller.roles),
            purpose_reference=purpose.reference if purpose else "",
            # A refused caller's words are kept even when malformed: they matter to an auditor.
            purpose_reason=purpose.reason if purpose else (stated or "").strip(),
            action=permission,
            resource=_route_template(request),
            subject_ref=next((str(value) for value in request.path_params.values()), None),
            outcome="allowed" if role else "denied",
            at=datetime.now(UTC),
            trace_id=_trace_id(),
        )
        # No record, no read: if the sink fails, the request fails.
        await sink.record(entry)
        if role is None or purpose is None:
            raise _forbidden(caller, permission)
        return Access(caller=caller, role=role, purpose=purpose, permission=permission)

    return audited


def _route_template(request: Request) -> str:
    """The matched route's path template, with the prefix of any app it is mounted under."""
    route = request.scope.get("route")
    template = getattr(route, "path_format", request.url.path)
    root_path: str = request.scope.get("root_path", "")
    mount_prefix = root_path.removeprefix(request.scope.get("app_root_path", root_path))
    return f"{mount_prefix}{template}"


def _trace_id() -> str | None:
    context = trace.get_current_span().get_span_context()
    return trace.format_trace_id(context.trace_id) if context.is_valid else None
