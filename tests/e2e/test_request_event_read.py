"""A request becomes an event, another process handles it and answers with an event, and the answer is
read back over HTTP: probe-desk and probe-echo in two processes over RabbitMQ, PostgreSQL and Azurite."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import pytest

from precise_chassis.auth.roles import Role
from precise_probe.contracts import DESK, ECHO

if TYPE_CHECKING:
    from conftest import Platform

pytestmark = pytest.mark.e2e


def test_a_probe_goes_round_both_processes_and_comes_back_echoed(desk_and_echo: Platform) -> None:
    probes = desk_and_echo.probes
    assert desk_and_echo.process(DESK).pid != desk_and_echo.process(ECHO).pid
    text = "Synthetic probe: house-to-house enquiries at 1 Example Road"

    probe_id = probes.request(text)
    probe = probes.echoed(probe_id)

    digest = hashlib.sha256(text.encode()).hexdigest()
    assert probe["text"] == text
    assert probe["echoed_text"] == text.upper()
    assert probe["blob_sha256"] == digest, "the blob store recorded another hash than the text's"
    assert probe["blob_sha256_stored"] == digest, "the bytes read back from the blob store differ"
    assert probe["blob_sha256_seen"] == digest, "probe-echo was told another hash than the one stored"
    assert probes.echo_count(probe_id) == 1


def test_reading_a_probe_needs_a_token_a_permission_and_a_purpose(desk_and_echo: Platform) -> None:
    platform = desk_and_echo
    url = platform.probes.url(platform.probes.request("Synthetic probe for access checks"))
    get = platform.http.get

    assert get(url).status_code == 401
    assert get(url, headers={"Authorization": "Bearer not-a-jwt"}).status_code == 401
    assert get(url, headers=platform.headers(Role.CALL_HANDLER)).status_code == 403
    no_purpose = get(url, headers=platform.headers(Role.ANALYST, purpose=None))
    assert no_purpose.status_code == 400
    assert "Precise-Purpose" in no_purpose.text
    assert get(url, headers=platform.headers(Role.ANALYST)).status_code == 200
    not_permitted = platform.http.post(
        f"{platform.base_url(DESK)}/probes", json={"text": "x"}, headers=platform.headers(Role.ANALYST)
    )
    assert not_permitted.status_code == 403


def test_health_and_api_documents_answer_on_every_process(desk_and_echo: Platform) -> None:
    platform = desk_and_echo
    for process in platform.deployment.processes:
        (service,) = process.services
        health = platform.http.get(f"{process.root_url}/healthz")
        assert health.status_code == 200
        assert health.json()["services"] == {service.name: service.prefix}
        openapi = platform.http.get(f"{platform.base_url(service.name)}/openapi.json")
        assert openapi.status_code == 200
        assert openapi.json()["info"]["title"] == f"Precise {service.title}"
        docs = platform.http.get(f"{platform.base_url(service.name)}/docs")
        assert docs.status_code == 200
        assert "swagger" in docs.text.lower()
