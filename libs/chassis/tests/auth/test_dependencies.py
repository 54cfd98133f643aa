"""The auth dependencies in a small service mounted like the platform mounts one: what a caller sees, and
what the audit log and outbox hold afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import httpx
import jwt
import pytest
from fastapi import Depends, FastAPI
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import select

from precise_chassis.auth.audit import AuditEntry, AuditSink, DatabaseAuditSink, audit_records
from precise_chassis.auth.dependencies import Access, install_auth_problems, personal_data, require
from precise_chassis.auth.dev_issuer import DevIssuer
from precise_chassis.auth.roles import Permission, Role
from precise_chassis.auth.tokens import Caller, TokenVerifier
from precise_chassis.database import Database
from precise_chassis.migrate import migrate
from precise_chassis.outbox import stored_envelope
from precise_chassis.settings import PlatformSettings
from precise_chassis.tables import outbox
from precise_contracts.events.audit import PersonalDataAccessed
from precise_contracts.registry import REGISTRY

PURPOSE = {"Precise-Purpose": "INC-20261122-0042; attending a domestic, checking warning markers"}
SUMMARY = "/risk/persons/P-000123/summary"


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database.sqlite(tmp_path / "risk-summary.sqlite")
    await migrate(database)
    yield database
    await database.dispose()


class Reads:
    """What the route saw when it ran: proof it ran, and whether its audit record was already there."""

    def __init__(self) -> None:
        self.audited_before_read: list[int] = []


def service(db: Database, verifier: TokenVerifier, reads: Reads, sink: AuditSink | None = None) -> FastAPI:
    app = FastAPI()
    app.state.precise_auth = verifier
    app.state.precise_audit = sink or DatabaseAuditSink(db, service="risk-summary", registry=REGISTRY)
    install_auth_problems(app)

    @app.get("/persons/{person_id}/summary")
    async def summary(
        person_id: str, access: Annotated[Access, Depends(personal_data(Permission.RISK_READ))]
    ) -> dict[str, str]:
        reads.audited_before_read.append(len(await audit_records(db, subject_ref=person_id)))
        return {"person": person_id, "role": access.role, "reference": access.purpose.reference}

    @app.get("/ingest-runs")
    async def ingest_runs(
        caller: Annotated[Caller, Depends(require(Permission.INGEST_READ))],
    ) -> dict[str, str]:
        return {"caller": caller.subject}

    @app.get("/ingest-batches")
    async def ingest_batches(
        caller: Annotated[Caller, Depends(require(Permission.INGEST_READ, Permission.INGEST_WRITE))],
    ) -> dict[str, str]:
        return {"caller": caller.subject}

    root = FastAPI()
    root.mount("/risk", app)
    return root


@pytest.fixture
def reads() -> Reads:
    return Reads()


@pytest.fixture
async def client(db: Database, verifier: TokenVerifier, reads: Reads) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=service(db, verifier, reads))
    async with httpx.AsyncClient(transport=transport, base_url="http://risk.test") as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def only_record(db: Database) -> AuditEntry:
    (record,) = await audit_records(db)
    return record


@pytest.mark.parametrize(
    ("headers", "says", "challenge"),
    [
        ({}, "send a bearer token", "Bearer"),
        ({"Authorization": "Basic b2ZmaWNlcjpwYXNzd29yZA=="}, "send a bearer token", "Bearer"),
        (bearer("garbage"), "not a JWT", 'Bearer error="invalid_token"'),
    ],
)
async def test_a_caller_without_a_usable_token_is_told_to_authenticate(
    client: httpx.AsyncClient, db: Database, reads: Reads, headers: dict[str, str], says: str, challenge: str
) -> None:
    response = await client.get(SUMMARY, headers={**headers, **PURPOSE})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == challenge
    assert response.headers["Content-Type"] == "application/problem+json"
    assert says in response.json()["detail"]
    assert await audit_records(db) == []
    assert reads.audited_before_read == []


async def test_expired_foreign_and_hs256_tokens_are_refused_with_the_reason(
    client: httpx.AsyncClient, issuer: DevIssuer, settings: PlatformSettings, db: Database
) -> None:
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    other_audience = DevIssuer(settings.model_copy(update={"auth_audience": "api://another-app"}))
    other_issuer = DevIssuer(settings.model_copy(update={"auth_issuer": "https://another.test/issuer"}))
    hs256 = _hs256_token(issuer)
    cases = {
        issuer.mint([Role.CALL_HANDLER], sub="ch-1", now=long_ago): "Signature has expired",
        other_audience.mint([Role.CALL_HANDLER], sub="ch-1"): "Audience doesn't match",
        other_issuer.mint([Role.CALL_HANDLER], sub="ch-1"): "Invalid issuer",
        hs256: "only RS256",
    }
    for token, says in cases.items():
        response = await client.get(SUMMARY, headers={**bearer(token), **PURPOSE})
        assert response.status_code == 401, says
        assert says in response.json()["detail"]
        assert response.json()["title"] == "Invalid bearer token"
    assert await audit_records(db) == []


def _hs256_token(issuer: DevIssuer) -> str:
    now = datetime.now(UTC)
    claims = {
        "iss": issuer.issuer,
        "aud": issuer.audience,
        "sub": "x",
        "iat": now,
        "exp": now + timedelta(hours=1),
    }
    return jwt.encode({**claims, "roles": ["call-handler"]}, "a-shared-secret-of-32-bytes-len!", algorithm="HS256")


async def test_a_call_handler_with_a_purpose_reads_the_summary_and_is_audited_first(
    client: httpx.AsyncClient, issuer: DevIssuer, db: Database, reads: Reads
) -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("request") as span:
        response = await client.get(
            SUMMARY, headers={**bearer(issuer.mint([Role.CALL_HANDLER], sub="ch-0099")), **PURPOSE}
        )
    assert response.status_code == 200
    assert response.json() == {"person": "P-000123", "role": "call-handler", "reference": "INC-20261122-0042"}
    assert reads.audited_before_read == [1]

    record = await only_record(db)
    assert (record.actor, record.role, record.action, record.outcome) == (
        "ch-0099",
        "call-handler",
        "risk:read",
        "allowed",
    )
    assert (record.purpose_reference, record.purpose_reason) == (
        "INC-20261122-0042",
        "attending a domestic, checking warning markers",
    )
    assert (record.resource, record.subject_ref) == ("/risk/persons/{person_id}/summary", "P-000123")
    assert abs(datetime.now(UTC) - record.at) < timedelta(minutes=1)
    assert record.trace_id == trace.format_trace_id(span.get_span_context().trace_id)

    async with db.session() as session:
        (row,) = (await session.execute(select(outbox.c.attributes, outbox.c.data))).all()
    envelope = stored_envelope(*row)
    event = envelope.decode(PersonalDataAccessed)
    assert envelope.id == event.audit_id == record.audit_id
    assert (event.actor, event.role, event.action, event.outcome, event.subject_ref) == (
        "ch-0099",
        "call-handler",
        "risk:read",
        "allowed",
        "P-000123",
    )
    span_id = trace.format_span_id(span.get_span_context().span_id)
    assert (envelope.traceparent or "").split("-")[1:3] == [record.trace_id, span_id]


async def test_the_role_recorded_is_the_one_that_allowed_the_read(
    client: httpx.AsyncClient, issuer: DevIssuer, db: Database
) -> None:
    token = issuer.mint([Role.AUDITOR, Role.ANALYST], sub="an-5")
    response = await client.get(SUMMARY, headers={**bearer(token), **PURPOSE})
    assert response.status_code == 200
    assert (await only_record(db)).role == "analyst"


async def test_a_caller_whose_roles_do_not_allow_the_read_is_refused_and_the_attempt_audited(
    client: httpx.AsyncClient, issuer: DevIssuer, db: Database, reads: Reads
) -> None:
    token = issuer.mint([Role.AUDITOR, Role.CPS_REVIEWER], sub="psd-77")
    response = await client.get(SUMMARY, headers={**bearer(token), **PURPOSE})
    assert response.status_code == 403
    assert response.json()["detail"] == "risk:read is not granted to auditor, cps-reviewer"
    assert reads.audited_before_read == []

    record = await only_record(db)
    assert (record.actor, record.role, record.outcome, record.action) == (
        "psd-77",
        "auditor,cps-reviewer",
        "denied",
        "risk:read",
    )
    assert record.purpose_reference == "INC-20261122-0042"


async def test_a_refused_caller_without_a_valid_purpose_is_audited_with_what_they_said(
    client: httpx.AsyncClient, issuer: DevIssuer, db: Database
) -> None:
    token = issuer.mint([Role.EVIDENCE_OFFICER], sub="dmu-3")
    response = await client.get(SUMMARY, headers={**bearer(token), "Precise-Purpose": "curious about a neighbour"})
    assert response.status_code == 403
    record = await only_record(db)
    assert (record.outcome, record.purpose_reference, record.purpose_reason) == (
        "denied",
        "",
        "curious about a neighbour",
    )


@pytest.mark.parametrize(
    ("purpose", "says"),
    [
        (None, "Precise-Purpose header is required"),
        ("just looking", "with a ';' between them"),
        ("N/A; just looking", "not an incident or case reference"),
    ],
)
async def test_a_permitted_caller_without_a_valid_purpose_reads_nothing_and_is_told_why(
    client: httpx.AsyncClient, issuer: DevIssuer, db: Database, reads: Reads, purpose: str | None, says: str
) -> None:
    headers = bearer(issuer.mint([Role.RESPONSE_OFFICER], sub="pc-2041"))
    if purpose is not None:
        headers["Precise-Purpose"] = purpose
    response = await client.get(SUMMARY, headers=headers)
    assert response.status_code == 400
    assert response.json()["title"] == "Purpose required"
    assert says in response.json()["detail"]
    assert reads.audited_before_read == []
    assert await audit_records(db) == []


async def test_no_audit_record_no_read(db: Database, verifier: TokenVerifier, issuer: DevIssuer, reads: Reads) -> None:
    class BrokenSink:
        async def record(self, entry: AuditEntry) -> None:
            raise ConnectionError("audit database unavailable")

    transport = httpx.ASGITransport(app=service(db, verifier, reads, BrokenSink()))
    async with httpx.AsyncClient(transport=transport, base_url="http://risk.test") as client:
        with pytest.raises(ConnectionError):
            await client.get(SUMMARY, headers={**bearer(issuer.mint([Role.CALL_HANDLER], sub="ch-1")), **PURPOSE})
    assert reads.audited_before_read == []


async def test_require_lets_a_permitted_caller_through_without_auditing(
    client: httpx.AsyncClient, issuer: DevIssuer, db: Database
) -> None:
    allowed = await client.get("/risk/ingest-runs", headers=bearer(issuer.mint([Role.ANALYST], sub="an-5")))
    assert (allowed.status_code, allowed.json()) == (200, {"caller": "an-5"})
    refused = await client.get("/risk/ingest-runs", headers=bearer(issuer.mint([Role.CALL_HANDLER], sub="ch-1")))
    assert refused.status_code == 403
    assert refused.json()["detail"] == "ingest:read is not granted to call-handler"
    nobody = await client.get("/risk/ingest-runs", headers=bearer(issuer.mint([], sub="x-1")))
    assert nobody.json()["detail"] == "ingest:read is not granted to no Precise role"
    assert await audit_records(db) == []


async def test_require_of_several_permissions_lets_through_a_caller_granted_any_one(
    client: httpx.AsyncClient, issuer: DevIssuer
) -> None:
    for role, subject in ((Role.ANALYST, "an-5"), (Role.INGEST_SYSTEM, "PNC-LINK")):
        allowed = await client.get("/risk/ingest-batches", headers=bearer(issuer.mint([role], sub=subject)))
        assert (allowed.status_code, allowed.json()) == (200, {"caller": subject})
    refused = await client.get("/risk/ingest-batches", headers=bearer(issuer.mint([Role.CALL_HANDLER], sub="ch-1")))
    assert refused.status_code == 403
    assert refused.json()["detail"] == "ingest:read or ingest:write is not granted to call-handler"


async def test_without_the_problem_handler_refusals_keep_their_status_and_challenge(
    db: Database, verifier: TokenVerifier
) -> None:
    app = FastAPI()
    app.state.precise_auth = verifier
    app.state.precise_audit = DatabaseAuditSink(db, service="risk-summary", registry=REGISTRY)

    @app.get("/persons/{person_id}")
    async def person(person_id: str, access: Annotated[Access, Depends(personal_data(Permission.PROFILE_READ))]) -> str:
        return person_id

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.get("/persons/P-1")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "bearer token" in response.json()["detail"]
