"""A legacy export uploaded with the name of its mapping file is read by that mapping, like any other source."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI
from precise_ingest.testing import finished_batch, published, runtime_of, upload


async def test_a_custody_export_uploaded_with_its_mapping_is_published_record_by_record(
    app: FastAPI, client: httpx.AsyncClient, writer: dict[str, str], synthetic: Path
) -> None:
    custody = (synthetic / "legacy" / "custody.csv").read_bytes()

    answer = await upload(client, writer, custody, source="legacy", name="custody.csv", params={"mapping": "custody"})

    assert answer.status_code == 202, answer.text
    batch = await finished_batch(client, answer.json()["batch_id"], writer)
    assert batch["status"] == "completed", batch
    counts = batch["counts"]
    assert counts["rejected"] == 0
    assert counts["accepted"] == counts["read"] > 0
    events = await published(runtime_of(app))
    assert len(events) == counts["accepted"]
    assert {event["source"]["legacy_system"] for event in events} == {"custody"}


async def test_an_upload_naming_a_mapping_that_does_not_exist_is_refused(
    client: httpx.AsyncClient, writer: dict[str, str], synthetic: Path
) -> None:
    custody = (synthetic / "legacy" / "custody.csv").read_bytes()

    answer = await upload(client, writer, custody, source="legacy", name="custody.csv", params={"mapping": "nope"})

    assert answer.status_code == 422
    assert "no mapping named 'nope'" in answer.text
