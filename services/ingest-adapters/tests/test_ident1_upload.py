"""IDENT1 transactions uploaded as files are published with their image records kept in the blob store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from precise_ingest.testing import finished_batch, published, runtime_of, upload

from precise_contracts.events.ingest import BiometricIdentified


@pytest.fixture
def transactions(synthetic: Path) -> dict[str, bytes]:
    """Each synthetic IDENT1 transaction by its TCN (the file name)."""
    found = {path.stem: path.read_bytes() for path in sorted((synthetic / "ident1").glob("*.nist"))}
    assert found, "precise synth wrote no IDENT1 transactions"
    return found


async def _upload(client: httpx.AsyncClient, writer: dict[str, str], tcn: str, content: bytes) -> dict[str, Any]:
    answer = await upload(client, writer, content, source="ident1", name=f"{tcn}.nist")
    assert answer.status_code == 202, answer.text
    batch_id = answer.json()["batch_id"]
    assert isinstance(batch_id, str)
    return await finished_batch(client, batch_id, writer)


async def test_each_transaction_is_published_once_with_its_images_stored_under_their_digest(
    app: FastAPI, client: httpx.AsyncClient, writer: dict[str, str], transactions: dict[str, bytes]
) -> None:
    for tcn, content in transactions.items():
        batch = await _upload(client, writer, tcn, content)
        assert batch["status"] == "completed", batch
        assert batch["counts"] == {"read": 1, "accepted": 1, "rejected": 0, "duplicate": 0}

    events = await published(runtime_of(app), BiometricIdentified.type)
    assert sorted(event["source"]["record_id"] for event in events) == sorted(transactions)
    blobs = runtime_of(app).blobs
    assert blobs is not None
    images = [image for event in events for image in event["images"]]
    assert images, "the synthetic transactions carry image records"
    for image in images:
        stored = await blobs.head(image["key"])
        assert stored is not None, image
        assert stored.sha256 == image["sha256"]


async def test_the_same_file_again_publishes_nothing(
    app: FastAPI, client: httpx.AsyncClient, writer: dict[str, str], transactions: dict[str, bytes]
) -> None:
    tcn, content = next(iter(transactions.items()))
    await _upload(client, writer, tcn, content)

    again = await _upload(client, writer, tcn, content)

    assert again["counts"] == {"read": 1, "accepted": 0, "rejected": 0, "duplicate": 1}
    assert len(await published(runtime_of(app), BiometricIdentified.type)) == 1
