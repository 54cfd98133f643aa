"""The outbox relay: publishes committed outbox rows to the bus, oldest first, retrying with back-off.

A row is marked published only after the broker confirmed it, so a process killed between commit and
publish publishes after restart; a broker that is down leaves rows pending until it returns. The bus may
see an event twice (killed after confirm, before marking): consumers' inboxes absorb that.

Published rows are kept for a retention period (what was sent, for an operator to look into), then deleted
by the relay a bounded batch at a time: at ANPR volumes an outbox kept whole would grow by tens of gigabytes
a day. Rows not yet published are never deleted.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update

from precise_chassis.bus.port import Bus, BusUnavailable
from precise_chassis.database import Database
from precise_chassis.tables import outbox
from precise_chassis.telemetry.tracing import publish_spans
from precise_contracts.envelope import Envelope

log = logging.getLogger(__name__)

PRUNE_BATCH = 5_000  # published rows deleted per statement, so no prune holds its locks for long


@dataclass(frozen=True)
class OutboxStatus:
    pending: int
    oldest_pending_at: datetime | None

    def lag_seconds(self, now: datetime) -> float:
        return 0.0 if self.oldest_pending_at is None else max(0.0, (now - self.oldest_pending_at).total_seconds())


@dataclass(frozen=True)
class RelayBackoff:
    base_seconds: float = 0.2
    cap_seconds: float = 30.0

    def delay(self, attempts: int) -> float:
        return float(min(self.cap_seconds, self.base_seconds * 2 ** max(0, attempts - 1)))


class OutboxRelay:
    """Drains one service's outbox to the bus. `wake()` after a commit for low latency; it also polls."""

    def __init__(
        self,
        db: Database,
        bus: Bus,
        *,
        service: str,
        batch_size: int = 200,
        poll_seconds: float = 0.5,
        backoff: RelayBackoff = RelayBackoff(),
        retention_seconds: float = 86_400.0,
        prune_seconds: float = 60.0,
        on_published: Callable[[int], None] = lambda _count: None,
    ) -> None:
        self._db = db
        self._bus = bus
        self.service = service
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._backoff = backoff
        self._retention = timedelta(seconds=retention_seconds)
        self._prune_seconds = prune_seconds
        self._on_published = on_published
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def wake(self) -> None:
        self._wakeup.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"outbox-relay:{self.service}")

    async def stop(self, *, flush_within: float = 5.0) -> None:
        """Stop polling after trying, within the bound, to publish what is already committed."""
        self._stopping = True
        self._wakeup.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=max(0.1, flush_within))
            except TimeoutError:
                log.warning("outbox relay for %s stopped before the outbox was empty", self.service)
            self._task = None
        else:
            await self.flush(deadline=flush_within)

    async def flush(self, *, deadline: float = 5.0) -> int:
        """Publish everything due now; returns how many were published."""
        published = 0
        loop = asyncio.get_running_loop()
        end = loop.time() + deadline
        while loop.time() < end:
            sent, more = await self.publish_due()
            published += sent
            if not more:
                break
        return published

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_prune = loop.time()
        while True:
            # cleared before reading, so a commit that lands while we publish still wakes the next round
            self._wakeup.clear()
            try:
                sent, more = await self.publish_due()
            except Exception:
                log.exception("outbox relay for %s failed; retrying", self.service)
                sent, more = 0, False
            if self._stopping and not more:
                return
            if loop.time() >= next_prune:
                next_prune = loop.time() + self._prune_seconds
                try:
                    await self.prune(datetime.now(UTC))
                except Exception:
                    log.exception("pruning the outbox of %s failed; trying again later", self.service)
            if more and sent:
                continue
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=self._poll_seconds)

    async def publish_due(self) -> tuple[int, bool]:
        """Publish one batch of due rows, oldest first. Returns (published, more rows may be due)."""
        now = datetime.now(UTC)
        async with self._db.session() as session, session.begin():
            query = (
                select(
                    outbox.c.seq,
                    outbox.c.topic,
                    outbox.c.attributes,
                    outbox.c.data,
                    outbox.c.attempts,
                    outbox.c.next_attempt_at,
                )
                .where(outbox.c.published_at.is_(None))
                .order_by(outbox.c.seq)
                .limit(self._batch_size)
            )
            if self._db.dialect == "postgresql":
                # replicas of one service share its outbox; each row goes to one relay at a time
                query = query.with_for_update(skip_locked=True)
            rows = (await session.execute(query)).all()
            # oldest first: stop at the first row still backing off rather than overtake it
            due = []
            for row in rows:
                if _aware(row.next_attempt_at) > now:
                    break
                due.append(row)
            if not due:
                return 0, False
            published_seqs, failure = await self._publish_in_order(due)
            if published_seqs:
                await session.execute(
                    update(outbox).where(outbox.c.seq.in_(published_seqs)).values(published_at=datetime.now(UTC))
                )
            if failure is not None:
                seq, attempts, error = failure
                await session.execute(
                    update(outbox)
                    .where(outbox.c.seq == seq)
                    .values(
                        attempts=attempts + 1,
                        last_error=error[:2000],
                        next_attempt_at=now + timedelta(seconds=self._backoff.delay(attempts + 1)),
                    )
                )
        self._on_published(len(published_seqs))
        return len(published_seqs), failure is None and len(rows) == self._batch_size

    async def prune(self, now: datetime) -> int:
        """Delete the rows published more than the retention before `now`, oldest first; returns how many."""
        cutoff = now - self._retention
        pruned = 0
        while True:
            async with self._db.session() as session, session.begin():
                oldest = (
                    select(outbox.c.seq)
                    .where(outbox.c.published_at < cutoff)
                    .order_by(outbox.c.seq)
                    .limit(PRUNE_BATCH)
                    .scalar_subquery()
                )
                result = await session.execute(delete(outbox).where(outbox.c.seq.in_(oldest)))
            deleted = int(result.rowcount)  # type: ignore[attr-defined]
            pruned += deleted
            if deleted < PRUNE_BATCH:
                if pruned:
                    log.info("pruned %d published outbox rows of %s", pruned, self.service)
                return pruned

    async def _publish_in_order(self, rows: Sequence[Any]) -> tuple[list[int], tuple[int, int, str] | None]:
        """Publish consecutive runs of rows per topic; on a failure, stop so no later row overtakes it."""
        published: list[int] = []
        start = 0
        while start < len(rows):
            end = start
            while end < len(rows) and rows[end].topic == rows[start].topic:
                end += 1
            run = rows[start:end]
            topic = run[0].topic
            envelopes = [stored_envelope(r.attributes, r.data) for r in run]
            try:
                with publish_spans(self._bus.name, topic, envelopes):
                    await self._bus.publish(topic, envelopes)
            except BusUnavailable as exc:
                log.warning("bus unavailable; %d outbox rows of %s wait: %s", len(rows) - start, self.service, exc)
                return published, (run[0].seq, run[0].attempts, str(exc))
            published.extend(r.seq for r in run)
            start = end
        return published, None

    async def status(self) -> OutboxStatus:
        async with self._db.session() as session:
            row = (
                await session.execute(
                    select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.published_at.is_(None))
                )
            ).one()
        return OutboxStatus(pending=int(row[0]), oldest_pending_at=_aware(row[1]) if row[1] else None)


def stored_envelope(attributes: str, data: bytes) -> Envelope:
    """The envelope an outbox row holds (its `attributes` and `data` columns)."""
    return Envelope.from_attributes(json.loads(attributes), data)


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were written as UTC
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
