"""probe-desk's event handler: the echo comes back and is stored on its probe."""

from __future__ import annotations

from datetime import UTC, datetime

from precise_chassis.uow import UnitOfWork
from precise_probe.contracts import ProbeEchoed
from precise_probe.desk.store import record_echo


async def on_probe_echoed(event: ProbeEchoed, uow: UnitOfWork) -> None:
    # The dispatcher already holds the transaction (inbox claim included); the handler only writes.
    found = await record_echo(
        uow.session,
        event.probe_id,
        echoed_text=event.echoed_text,
        blob_sha256_seen=event.blob_sha256_seen,
        at=datetime.now(UTC),
    )
    if not found:
        raise LookupError(f"probe-desk holds no probe {event.probe_id} to record the echo on")
