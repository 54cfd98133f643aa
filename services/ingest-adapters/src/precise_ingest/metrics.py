"""What ingest shows an operator on /metrics: records by source and outcome, batches by how they ended and how
long they took, and the batches being processed now. Labelled by source only (anpr, pnc, ident1, legacy), never
by file or mapping, so the number of series stays bounded.

A chunk's records are counted once its transaction has committed, so the counters never run ahead of what
`GET /ingest/v1/batches/{id}` reports; a chunk retried after a failure is counted when it commits.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from precise_chassis.runtime import ServiceRuntime
from precise_ingest.store import BatchStatus, Counts

# a batch is a small file in a second or an ANPR day in tens of minutes
_BATCH_SECONDS = (0.5, 1.0, 2.5, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 14400.0)


class IngestMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.records = Counter(
            "precise_ingest_records",
            "Source records ingested, by source and outcome (accepted, rejected, duplicate).",
            ["source", "outcome"],
            registry=registry,
        )
        self.batches = Counter(
            "precise_ingest_batches", "Batches finished, by source and status.", ["source", "status"], registry=registry
        )
        self.batch_duration = Histogram(
            "precise_ingest_batch_duration_seconds",
            "From a batch's start to its end, by source and status (a resumed batch counts from its first start).",
            ["source", "status"],
            buckets=_BATCH_SECONDS,
            registry=registry,
        )
        self.processing = Gauge(
            "precise_ingest_batches_processing", "Batches this process is reading now.", ["source"], registry=registry
        )

    def committed(self, source: str, counts: Counts) -> None:
        for outcome, count in (
            ("accepted", counts.accepted),
            ("rejected", counts.rejected),
            ("duplicate", counts.duplicate),
        ):
            if count:
                self.records.labels(source, outcome).inc(count)

    def finished(self, source: str, status: BatchStatus, seconds: float | None) -> None:
        self.batches.labels(source, status.value).inc()
        if seconds is not None:
            self.batch_duration.labels(source, status.value).observe(seconds)


_metrics: WeakKeyDictionary[CollectorRegistry, IngestMetrics] = WeakKeyDictionary()


def ingest_metrics_of(runtime: ServiceRuntime) -> IngestMetrics:
    """The ingest metrics on the runtime's platform registry: made once per registry, which takes a name once."""
    registry = runtime.metrics.registry
    metrics = _metrics.get(registry)
    if metrics is None:
        metrics = _metrics[registry] = IngestMetrics(registry)
    return metrics
