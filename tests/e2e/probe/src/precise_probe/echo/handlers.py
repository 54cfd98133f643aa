"""probe-echo's event handler: upper-case the probe's text and answer with ProbeEchoed."""

from __future__ import annotations

from datetime import UTC, datetime

from precise_chassis.uow import UnitOfWork
from precise_probe.contracts import ProbeEchoed, ProbeRequested
from precise_probe.echo.store import add_echo


async def on_probe_requested(event: ProbeRequested, uow: UnitOfWork) -> None:
    # The dispatcher holds the transaction: echo row, inbox row and outbox row commit together.
    await add_echo(uow.session, event.probe_id, datetime.now(UTC))
    uow.publish(
        ProbeEchoed(probe_id=event.probe_id, echoed_text=event.text.upper(), blob_sha256_seen=event.blob_sha256)
    )
