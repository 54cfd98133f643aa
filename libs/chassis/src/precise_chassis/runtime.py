"""The running platform in one process: for each hosted service its database, outbox relay, blob store
and subscriptions, all on one shared bus. Started and stopped by the app's lifespan."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from precise_chassis.blob import BlobStore
from precise_chassis.blob.factory import blob_store_for
from precise_chassis.bus.factory import bus_for
from precise_chassis.bus.port import Action, Bus, Delivery, MessageHandler, settlement
from precise_chassis.database import Database
from precise_chassis.dispatch import Dispatcher
from precise_chassis.migrate import migrate
from precise_chassis.outbox import OutboxRelay
from precise_chassis.service import Service
from precise_chassis.settings import PlatformSettings
from precise_chassis.telemetry.metrics import PlatformMetrics
from precise_chassis.telemetry.tracing import process_span
from precise_chassis.uow import UnitOfWork
from precise_contracts.registry import Subscription, TopicRegistry

log = logging.getLogger(__name__)


class ServiceRuntime:
    """One hosted service's adapters. Routes reach it through `request.app.state.precise`."""

    def __init__(
        self,
        service: Service,
        settings: PlatformSettings,
        registry: TopicRegistry,
        bus: Bus,
        metrics: PlatformMetrics,
    ) -> None:
        self.service = service
        self.settings = settings
        self.registry = registry
        self.bus = bus
        self.metrics = metrics  # the platform's: a service adds its own series to `metrics.registry`
        self.db = Database.for_service(service.name, settings)
        self.relay = OutboxRelay(
            self.db,
            bus,
            service=service.name,
            batch_size=settings.outbox_batch,
            poll_seconds=settings.outbox_poll_seconds,
            retention_seconds=settings.outbox_retention_seconds,
            on_published=metrics.outbox_published.labels(service.name).inc,
        )
        self.blobs: BlobStore | None = blob_store_for(settings, service.name) if service.uses_blobs else None

    @property
    def name(self) -> str:
        return self.service.name

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.db, service=self.service.name, registry=self.registry, on_commit=self.relay.wake)

    def subscriptions(self) -> list[Subscription]:
        return self.registry.subscriptions(self.service.name)

    async def readiness(self) -> dict[str, str]:
        """Each dependency's state: 'ok' or the reason it is not."""
        checks: dict[str, str] = {}
        for name, probe in (("database", self.db.ping), ("bus", self.bus.ping)) + (
            (("blob_store", self.blobs.ping),) if self.blobs is not None else ()
        ):
            try:
                await asyncio.wait_for(probe(), timeout=3)
                checks[name] = "ok"
            except Exception as exc:  # readiness reports any failure, it never raises
                checks[name] = f"{type(exc).__name__}: {exc}"
        return checks


class Platform:
    """The services this process hosts (`--target`), started together on one bus."""

    def __init__(
        self,
        settings: PlatformSettings,
        services: Sequence[Service],
        registry: TopicRegistry,
        *,
        bus: Bus | None = None,
        metrics: PlatformMetrics | None = None,
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.bus = bus if bus is not None else bus_for(settings)
        self.metrics = metrics if metrics is not None else PlatformMetrics()
        self.runtimes = [ServiceRuntime(service, settings, registry, self.bus, self.metrics) for service in services]
        for runtime in self.runtimes:
            _check_handlers_match_registry(runtime.service, registry)

    def runtime(self, name: str) -> ServiceRuntime:
        for runtime in self.runtimes:
            if runtime.name == name:
                return runtime
        raise KeyError(name)

    async def start(self) -> None:
        for runtime in self.runtimes:
            await migrate(runtime.db, [runtime.service.migrations] if runtime.service.migrations else [])
        subscriptions = [sub for runtime in self.runtimes for sub in runtime.subscriptions()]
        await self.bus.ensure_topology(self.registry.topics, subscriptions)
        for runtime in self.runtimes:
            for subscription in runtime.subscriptions():
                await self.bus.consume(
                    subscription,
                    self._observed(runtime, subscription),
                    concurrency=self.settings.consumer_concurrency,
                )
            runtime.relay.start()
            if runtime.service.on_start is not None:
                await runtime.service.on_start(runtime)
        log.info("platform started: %s on %s", ", ".join(r.name for r in self.runtimes), self.bus.name)

    async def stop(self) -> None:
        """Stop taking work, let in-flight handlers finish, flush the outboxes, close — within the grace."""
        grace = self.settings.shutdown_grace_seconds
        for runtime in self.runtimes:
            if runtime.service.on_stop is not None:
                await runtime.service.on_stop(runtime)
        await self.bus.stop(grace_seconds=grace / 2)
        await asyncio.gather(*(runtime.relay.stop(flush_within=grace / 2) for runtime in self.runtimes))
        await self.bus.close()
        for runtime in self.runtimes:
            if runtime.blobs is not None:
                await runtime.blobs.close()
            await runtime.db.dispose()
        log.info("platform stopped")

    def _observed(self, runtime: ServiceRuntime, subscription: Subscription) -> MessageHandler:
        handlers = {
            event: handler
            for event, handler in runtime.service.handlers.items()
            if event.type in subscription.event_types
        }
        dispatcher = Dispatcher(subscription=subscription.queue, handlers=handlers, unit_of_work=runtime.unit_of_work)
        histogram, dead_letters = self.metrics.handler_duration, self.metrics.dead_letters
        system = self.bus.name

        async def handle(delivery: Delivery) -> None:
            started = time.perf_counter()
            outcome = "completed"
            try:
                with process_span(system, delivery):
                    if not await dispatcher.dispatch(delivery):
                        outcome = "duplicate"
            except Exception as error:
                # the bus settles by the same rule, so the label says what happens to the message
                settled = settlement(delivery.delivery_count, subscription.max_delivery, error)
                outcome = "dead-lettered" if settled.action is Action.DEAD_LETTER else "abandoned"
                if settled.reason is not None:
                    dead_letters.labels(subscription.queue, settled.reason).inc()
                raise
            finally:
                histogram.labels(subscription.queue, delivery.envelope.type, outcome).observe(
                    time.perf_counter() - started
                )

        return handle


def _check_handlers_match_registry(service: Service, registry: TopicRegistry) -> None:
    handled = {event.type for event in service.handlers}
    consumed = registry.consumed_by(service.name)
    if handled != consumed:
        raise ValueError(
            f"{service.name}: handlers for {sorted(handled)} but the topic registry routes {sorted(consumed)} "
            "to it; change the registry in libs/contracts and the handlers together"
        )
