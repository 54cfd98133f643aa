"""ANPR reads posted as a JSON batch or streamed as NDJSON go through the same pipeline as an uploaded file."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from precise_ingest.api_anpr import MAX_READS
from precise_ingest.store import batches
from precise_ingest.testing import finished_batch, published, runtime_of
from sqlalchemy import func, select

from precise_contracts.events.ingest import MAX_SIGHTINGS_PER_BATCH, VehicleSightingsBatched
from precise_tools.synth.generate import generate
from precise_tools.synth.sources.anpr import AnprLayout

READS = "/ingest/v1/anpr/reads"
FOREIGN_VRM = "AB-123-CD"  # a French plate: not a UK registration mark


@pytest.fixture(scope="module")
def anpr_jsonl(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """`precise synth --people 20 --seed 7 --anpr-format jsonl`: every read in one JSON-lines file."""
    out = tmp_path_factory.mktemp("synth-anpr")
    generate(out, people=20, seed=7, anpr_layout=AnprLayout.JSONL)
    return (out / "anpr" / "reads.jsonl").read_bytes()


@pytest.fixture
def reads(anpr_jsonl: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in anpr_jsonl.splitlines() if line.strip()]


async def _post(client: httpx.AsyncClient, headers: dict[str, str], reads: list[dict[str, Any]]) -> dict[str, Any]:
    answer = await client.post(READS, json={"reads": reads}, headers=headers)
    assert answer.status_code == 202, answer.text
    assert answer.headers["Location"] == f"/ingest/v1/batches/{answer.json()['batch_id']}"
    return await finished_batch(client, answer.json()["batch_id"], headers)


async def _sighting_batches(app: FastAPI) -> list[list[str]]:
    events = await published(runtime_of(app), VehicleSightingsBatched.type)
    return [list(VehicleSightingsBatched.model_validate(event).read_ids) for event in events]


async def test_a_json_batch_of_reads_is_published_in_sighting_batches_each_within_the_contract(
    app: FastAPI, client: httpx.AsyncClient, writer: dict[str, str], reads: list[dict[str, Any]]
) -> None:
    batch = await _post(client, writer, reads)

    assert batch["status"] == "completed", batch
    assert batch["counts"] == {"read": len(reads), "accepted": len(reads), "rejected": 0, "duplicate": 0}
    batches = await _sighting_batches(app)
    assert all(0 < len(ids) <= MAX_SIGHTINGS_PER_BATCH for ids in batches)
    assert sorted(read_id for ids in batches for read_id in ids) == sorted(read["read_id"] for read in reads)


async def test_a_read_with_a_foreign_vrm_is_rejected_with_its_field_and_the_rest_accepted(
    client: httpx.AsyncClient, writer: dict[str, str], analyst: dict[str, str], reads: list[dict[str, Any]]
) -> None:
    sample = reads[:20]
    sample[4] = {**sample[4], "vrm": FOREIGN_VRM}

    batch = await _post(client, writer, sample)

    assert batch["counts"] == {"read": 20, "accepted": 19, "rejected": 1, "duplicate": 0}
    rejects = (await client.get(f"/ingest/v1/batches/{batch['batch_id']}/rejects", headers=analyst)).json()
    assert [(r["line"], r["field"]) for r in rejects] == [(5, "vrm")]
    assert json.loads(rejects[0]["original"]) == sample[4]


async def test_the_same_reads_again_are_all_duplicates_and_publish_nothing(
    app: FastAPI, client: httpx.AsyncClient, writer: dict[str, str], reads: list[dict[str, Any]]
) -> None:
    await _post(client, writer, reads[:50])
    before = await _sighting_batches(app)

    again = await _post(client, writer, reads[:50])

    assert again["counts"] == {"read": 50, "accepted": 0, "rejected": 0, "duplicate": 50}
    assert await _sighting_batches(app) == before


async def test_streamed_ndjson_gives_the_same_result_as_the_json_batch(
    app: FastAPI, client: httpx.AsyncClient, writer: dict[str, str], anpr_jsonl: bytes, reads: list[dict[str, Any]]
) -> None:
    content = anpr_jsonl

    async def body() -> AsyncIterator[bytes]:  # no Content-Length: the service must stream it
        for start in range(0, len(content), 4096):
            yield content[start : start + 4096]

    headers = {**writer, "Content-Type": "application/x-ndjson"}
    answer = await client.post(READS, content=body(), headers=headers)

    assert answer.status_code == 202, answer.text
    batch = await finished_batch(client, answer.json()["batch_id"], writer)
    assert batch["counts"] == {"read": len(reads), "accepted": len(reads), "rejected": 0, "duplicate": 0}
    assert batch["size"] == len(content)
    published_ids = sorted(read_id for ids in await _sighting_batches(app) for read_id in ids)
    assert published_ids == sorted(read["read_id"] for read in reads)
    # and the same reads as a JSON batch afterwards are the same records: all duplicates
    assert (await _post(client, writer, reads))["counts"]["duplicate"] == len(reads)


async def test_only_an_ingest_writer_may_post_reads(
    client: httpx.AsyncClient, analyst: dict[str, str], reads: list[dict[str, Any]]
) -> None:
    assert (await client.post(READS, json={"reads": reads[:1]})).status_code == 401
    assert (await client.post(READS, json={"reads": reads[:1]}, headers=analyst)).status_code == 403


async def test_more_reads_than_the_limit_get_413(
    client: httpx.AsyncClient, writer: dict[str, str], reads: list[dict[str, Any]]
) -> None:
    too_many = [reads[0]] * (MAX_READS + 1)

    answer = await client.post(READS, json={"reads": too_many}, headers=writer)

    assert answer.status_code == 413
    assert str(MAX_READS) in answer.json()["detail"]


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b'{"reads": []}'),
        ("application/json", b'{"reads": ["AB12CDE"]}'),
        ("application/json", b"not json"),
        ("application/x-ndjson", b"\n  \n"),
        ("application/x-ndjson", b"read_id,vrm\n1,AB12CDE\n"),
    ],
    ids=["empty list", "not objects", "not json", "empty ndjson", "csv as ndjson"],
)
async def test_a_body_without_reads_is_422_and_records_no_batch(
    app: FastAPI, client: httpx.AsyncClient, writer: dict[str, str], content_type: str, body: bytes
) -> None:
    answer = await client.post(READS, content=body, headers={**writer, "Content-Type": content_type})

    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    async with runtime_of(app).db.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(batches))).scalar_one() == 0


async def test_another_media_type_is_415(client: httpx.AsyncClient, writer: dict[str, str]) -> None:
    answer = await client.post(READS, content=b"read_id\n", headers={**writer, "Content-Type": "text/csv"})

    assert answer.status_code == 415
