"""The service's background work: one worker processing batches in turn, and a poll that resumes batches no
live process holds (a crash, a stalled replica) and takes in files dropped into the drop folder or
container. Started by the service's on_start hook, stopped by on_stop within the shutdown grace."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from weakref import WeakKeyDictionary

from sqlalchemy import update

from precise_chassis.blob import BlobStore
from precise_chassis.runtime import ServiceRuntime
from precise_ingest.adapters.registry import ADAPTERS, AdapterFactory
from precise_ingest.dropbox import DropBox, drop_box_for
from precise_ingest.pipeline import BatchProcessor, Upload, receive
from precise_ingest.reader_process import warm_up
from precise_ingest.settings import IngestSettings
from precise_ingest.store import UNFINISHED, batches, unclaimed_batches

log = logging.getLogger(__name__)
_STOP = "stop"  # not a batch id (those are 32 hex digits): tells the worker to finish


class Intake:
    """Everything that turns stored files into events for one service runtime."""

    def __init__(
        self,
        runtime: ServiceRuntime,
        blobs: BlobStore,
        settings: IngestSettings,
        *,
        drop_box: DropBox | None,
        adapters: Mapping[str, AdapterFactory] = ADAPTERS,
    ) -> None:
        self.runtime = runtime
        self.blobs = blobs
        self.settings = settings
        self.adapters = adapters
        self.processor = BatchProcessor(runtime, blobs, settings, adapters)
        self.drop_box = drop_box
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._queued: set[str] = set()
        self._worker: asyncio.Task[None] | None = None
        self._poller: asyncio.Task[None] | None = None

    def submit(self, batch_id: str) -> None:
        if batch_id not in self._queued:
            self._queued.add(batch_id)
            self._queue.put_nowait(batch_id)

    async def start(self) -> None:
        if self.runtime.settings.embedded:
            # the embedded database belongs to this process alone: claims left in it died with their process
            await self._release_claims()
        # the process big files are read in forks from a server that is best started before the first one comes
        await asyncio.to_thread(warm_up)
        await self.resume()
        self._worker = asyncio.create_task(self._work(), name=f"{self.runtime.name}-batches")
        self._poller = asyncio.create_task(self._poll(), name=f"{self.runtime.name}-poll")

    async def stop(self, *, grace_seconds: float) -> None:
        """Let the batch in hand reach its next chunk within the grace; what is left resumes on the next start."""
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
        if self._worker is not None:
            self._queue.put_nowait(_STOP)  # the worker stops after the batch in hand
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._worker), timeout=grace_seconds)
            self._worker.cancel()  # a batch still going resumes from its last chunk on the next start
            await asyncio.gather(self._worker, return_exceptions=True)
        if self.drop_box is not None:
            await self.drop_box.close()

    async def resume(self) -> None:
        async with self.runtime.unit_of_work() as uow:
            for batch_id in await unclaimed_batches(uow.session, datetime.now(UTC)):
                self.submit(batch_id)

    async def take_in_drops(self) -> None:
        if self.drop_box is None:
            return
        for dropped in await self.drop_box.waiting(self.adapters):
            upload = Upload(
                source=dropped.source, mapping=dropped.mapping, filename=dropped.name, submitted_by="drop-box"
            )
            batch = await receive(self.runtime, self.blobs, upload, dropped.content())
            await self.drop_box.done(dropped, batch.batch_id)
            log.info("dropped file %s became batch %s", dropped.name, batch.batch_id)
            self.submit(batch.batch_id)

    async def _work(self) -> None:
        while True:
            batch_id = await self._queue.get()
            if batch_id == _STOP:
                return
            try:
                await self.processor.process(batch_id)
            except Exception:
                # not the file's fault (database, blob store): the claim lapses and the poll retries it
                log.exception("batch %s stopped; it will be retried when its claim lapses", batch_id)
            finally:
                self._queued.discard(batch_id)

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.settings.poll_seconds)
            for step in (self.resume, self.take_in_drops):
                try:
                    await step()
                except Exception:
                    log.exception(
                        "ingest poll step %s failed; trying again in %ss", step.__name__, self.settings.poll_seconds
                    )

    async def _release_claims(self) -> None:
        async with self.runtime.unit_of_work() as uow:
            await uow.session.execute(
                update(batches)
                .where(batches.c.status.in_([status.value for status in UNFINISHED]))
                .values(lease_until=None, processor=None)
            )


_intakes: WeakKeyDictionary[ServiceRuntime, Intake] = WeakKeyDictionary()


def intake_of(runtime: ServiceRuntime) -> Intake:
    intake = _intakes.get(runtime)
    if intake is None:
        raise RuntimeError(f"{runtime.name} has not started its intake (on_start did not run)")
    return intake


async def start_intake(runtime: ServiceRuntime) -> None:
    if runtime.blobs is None:
        raise RuntimeError("ingest-adapters needs its blob store (uses_blobs=True)")
    settings = IngestSettings()
    intake = Intake(runtime, runtime.blobs, settings, drop_box=drop_box_for(runtime.settings, settings))
    _intakes[runtime] = intake
    await intake.start()


async def stop_intake(runtime: ServiceRuntime) -> None:
    intake = _intakes.pop(runtime, None)
    if intake is not None:
        await intake.stop(grace_seconds=runtime.settings.shutdown_grace_seconds / 2)
