"""What an operator sees of ingest on /metrics: records by source and outcome, batches by how they ended and how
long they took, and nothing still counted as processing once a batch is over."""

from __future__ import annotations

import csv
import io

import httpx
from precise_ingest.adapters.pnc import HEADER
from precise_ingest.testing import finished_batch, upload
from prometheus_client.parser import text_string_to_metric_families


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every ingest sample on /metrics, by name and labels."""
    text = (await client.get("/metrics")).text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        if family.name.startswith("precise_ingest_")
        for sample in family.samples
    }


def records(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], outcome: str) -> float:
    return samples.get(("precise_ingest_records_total", frozenset({("source", "pnc"), ("outcome", outcome)})), 0)


def batches(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], status: str) -> float:
    return samples.get(("precise_ingest_batches_total", frozenset({("source", "pnc"), ("status", status)})), 0)


async def test_records_and_batches_are_counted_by_source_and_outcome_as_they_commit(
    client: httpx.AsyncClient, writer: dict[str, str], nominals: bytes
) -> None:
    header, *rows = list(csv.reader(io.StringIO(nominals.decode())))
    rows[3][HEADER.index("sex")] = "X"
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([header, *rows])
    content = out.getvalue().encode()

    first = await upload(client, writer, content)
    await finished_batch(client, first.json()["batch_id"], writer)
    again = await upload(client, writer, content)  # the same file: all duplicates, the bad row rejected again
    await finished_batch(client, again.json()["batch_id"], writer)
    samples = await scrape(client)

    assert records(samples, "accepted") == len(rows) - 1
    assert records(samples, "rejected") == 2
    assert records(samples, "duplicate") == len(rows) - 1
    assert batches(samples, "completed") == 2
    duration = ("precise_ingest_batch_duration_seconds_count", frozenset({("source", "pnc"), ("status", "completed")}))
    assert samples[duration] == 2
    assert samples[("precise_ingest_batches_processing", frozenset({("source", "pnc")}))] == 0


async def test_a_batch_that_fails_is_counted_as_failed(client: httpx.AsyncClient, writer: dict[str, str]) -> None:
    answer = await upload(client, writer, b"vrm,camera,time\r\nAB12CDE,CAM1,2024-03-18T07:41:05Z\r\n")
    await finished_batch(client, answer.json()["batch_id"], writer)

    samples = await scrape(client)

    assert batches(samples, "failed") == 1
    assert batches(samples, "completed") == 0
    assert records(samples, "accepted") == 0
