"""ingest-adapters as its own process: a PNC file uploaded over HTTP becomes one PersonRecordObserved per
nominal on RabbitMQ; a process killed right after accepting the file finishes it when it comes back, and
the same file sent again publishes nothing."""

from __future__ import annotations

import asyncio
import csv
import io
import signal
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import aio_pika
import pytest
from harness import Deployment, eventually
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import column, select, table
from sqlalchemy.ext.asyncio import create_async_engine

from precise_chassis.auth.roles import Role
from precise_contracts.events.ingest import PersonRecordObserved
from precise_contracts.topology.rabbitmq import exchange_name
from precise_tools.synth.generate import generate

if TYPE_CHECKING:
    from conftest import Platform

pytestmark = pytest.mark.e2e

INGEST = "ingest-adapters"
TOPIC = "ingest"
BATCH_WITHIN = 30.0
UNFINISHED = ("received", "processing")
# Quick polls and a short lease, so a batch whose process was killed is taken over in seconds, not a minute;
# small chunks, so a batch of 30 records takes several commits, as a real file does.
FAST_INTAKE = {
    "PRECISE_INGEST_POLL_SECONDS": "0.2",
    "PRECISE_INGEST_LEASE_SECONDS": "2",
    "PRECISE_INGEST_CHUNK_RECORDS": "2",
}


@pytest.fixture(scope="module")
def nominals(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    out = tmp_path_factory.mktemp("synth")
    generate(out, people=30, seed=3)
    return (out / "pnc" / "nominals.csv").read_bytes()


@pytest.fixture
def ingest(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> Platform:
    """The platform with ingest-adapters' intake settings for a quick test (the harness passes only its own)."""
    environment = platform.deployment.env
    monkeypatch.setattr(platform.deployment, "env", lambda: environment() | FAST_INTAKE)
    return platform


class Observer:
    """A queue of the test's own bound to the ingest exchange for PersonRecordObserved: what consumers get."""

    def __init__(self, deployment: Deployment) -> None:
        prefix = deployment.settings.topology_prefix
        self.url = deployment.settings.rabbitmq_url
        self.exchange = exchange_name(TOPIC, prefix)
        self.queue = f"{prefix}e2e-observer"

    def bind(self) -> None:
        """Bind to the exchange the running service declared (fails if it declared none)."""

        async def bind() -> None:
            async with await aio_pika.connect(self.url) as connection:
                channel = await connection.channel()
                exchange = await channel.get_exchange(self.exchange)  # passive: the service's own
                queue = await channel.declare_queue(self.queue, durable=False)
                await queue.bind(exchange, routing_key=PersonRecordObserved.type)

        asyncio.run(bind())

    def drain(self) -> list[dict[str, Any]]:
        """Every message waiting, removed from the queue: (message id, event type, body) of each."""

        async def drain() -> list[dict[str, Any]]:
            async with await aio_pika.connect(self.url) as connection:
                channel = await connection.channel()
                queue = await channel.get_queue(self.queue)
                taken = []
                while (message := await queue.get(no_ack=True, fail=False)) is not None:
                    taken.append({"id": message.message_id, "type": message.type, "body": message.body})
                return taken

        return asyncio.run(drain())

    def delete(self) -> None:
        async def delete() -> None:
            async with await aio_pika.connect(self.url) as connection:
                channel = await connection.channel()
                await channel.queue_delete(self.queue)

        asyncio.run(delete())


@pytest.fixture
def observer(ingest: Platform) -> Iterator[Observer]:
    watching = Observer(ingest.deployment)
    try:
        yield watching
    finally:
        watching.delete()


def stored_status(deployment: Deployment, batch_id: str) -> str:
    """The batch's status as the database holds it, read without the service (whose process is dead)."""

    async def read() -> str:
        engine = create_async_engine(deployment.settings.database_url)
        schema = deployment.settings.schema_for(INGEST)
        try:
            async with engine.connect() as conn:
                batches = table("batches", column("batch_id"), column("status"), schema=schema)
                status = await conn.scalar(select(batches.c.status).where(batches.c.batch_id == batch_id))
                return str(status)
        finally:
            await engine.dispose()

    return asyncio.run(read())


def record_ids(content: bytes) -> set[str]:
    _header, *rows = list(csv.reader(io.StringIO(content.decode())))
    return {row[0] for row in rows}


def upload(platform: Platform, content: bytes) -> str:
    answer = platform.http.post(
        f"{platform.base_url(INGEST)}/v1/pnc/files",
        files={"file": ("nominals.csv", content, "text/csv")},
        headers=platform.headers(Role.INGEST_SYSTEM, purpose=None),
    )
    assert answer.status_code == 202, answer.text
    batch_id: str = answer.json()["batch_id"]
    return batch_id


def finished(platform: Platform, batch_id: str) -> dict[str, Any]:
    headers = platform.headers(Role.INGEST_SYSTEM, purpose=None)

    def batch() -> dict[str, Any] | None:
        answer = platform.http.get(f"{platform.base_url(INGEST)}/v1/batches/{batch_id}", headers=headers)
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return None if found["status"] in UNFINISHED else found

    return eventually(batch, f"batch {batch_id} to finish", within=BATCH_WITHIN)


def outbox(platform: Platform) -> dict[str, float]:
    """ingest-adapters' outbox figures from /metrics: pending rows, and rows published by this process."""
    answer = platform.http.get(f"{platform.root_url(INGEST)}/metrics")
    assert answer.status_code == 200, answer.text
    figures = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            if sample.labels.get("service") == INGEST and sample.name in (
                "precise_outbox_pending",
                "precise_outbox_published_total",
            ):
                figures[sample.name] = sample.value
    return figures


def settled_outbox(platform: Platform) -> dict[str, float]:
    """The outbox figures once nothing is left to publish."""
    return eventually(
        lambda: figures if (figures := outbox(platform)).get("precise_outbox_pending") == 0 else None,
        "ingest-adapters' outbox to be empty",
        within=BATCH_WITHIN,
    )


def observed_ids(messages: list[dict[str, Any]]) -> set[str]:
    """Distinct events among the messages (the outbox publishes at least once: a redelivery has the same id)."""
    assert {message["type"] for message in messages} <= {PersonRecordObserved.type}
    return {message["id"] for message in messages}


def test_an_uploaded_pnc_file_reaches_rabbitmq_as_one_event_per_nominal(
    ingest: Platform, observer: Observer, nominals: bytes
) -> None:
    ingest.start(INGEST)
    observer.bind()
    rows = len(record_ids(nominals))

    batch = finished(ingest, upload(ingest, nominals))

    assert batch["status"] == "completed", batch
    assert batch["counts"] == {"read": rows, "accepted": rows, "rejected": 0, "duplicate": 0}
    assert settled_outbox(ingest)["precise_outbox_published_total"] >= rows
    messages = observer.drain()
    assert len(observed_ids(messages)) == rows
    # binary content mode: the body is the payload, the attributes are cloudEvents_* headers
    events = [PersonRecordObserved.model_validate_json(m["body"]) for m in messages]
    records = {event.source.record_id for event in events}
    assert records == record_ids(nominals)


def test_a_batch_killed_after_its_202_completes_on_restart_and_the_same_file_again_publishes_nothing(
    ingest: Platform, observer: Observer, nominals: bytes
) -> None:
    (process,) = ingest.start(INGEST)
    observer.bind()
    rows = len(record_ids(nominals))

    batch_id = upload(ingest, nominals)
    assert process.kill() == -signal.SIGKILL
    assert stored_status(ingest.deployment, batch_id) in UNFINISHED, "the kill came too late to test resuming"
    process.start()
    process.wait_ready()
    batch = finished(ingest, batch_id)

    assert batch["status"] == "completed", batch
    assert batch["counts"] == {"read": rows, "accepted": rows, "rejected": 0, "duplicate": 0}
    settled_outbox(ingest)
    first = observer.drain()
    assert len(observed_ids(first)) == rows

    again = finished(ingest, upload(ingest, nominals))

    assert again["status"] == "completed", again
    assert again["counts"] == {"read": rows, "accepted": 0, "rejected": 0, "duplicate": rows}
    settled_outbox(ingest)
    assert observer.drain() == []
