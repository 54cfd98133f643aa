"""ingest-adapters' own settings, read from the environment (prefix PRECISE_INGEST_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024**2
GIB = 1024**3


class IngestSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PRECISE_INGEST_", extra="ignore")

    max_upload_bytes: int = Field(default=2 * GIB, gt=0, description="Larger uploads are refused with 413.")
    chunk_records: int = Field(
        default=500, gt=0, description="Records committed together: rejects, ledger, events and counts."
    )
    anpr_chunk_records: int = Field(
        default=10_000,
        gt=0,
        description="Reads committed together for ANPR, the high-volume source whose reads travel in batched events.",
    )
    read_apart_bytes: int = Field(
        default=4 * MIB,
        ge=0,
        description="Stored files at least this big are parsed in a process of their own, beside the service "
        "process rather than under its interpreter lock (ADR 0011); smaller ones in a worker thread.",
    )
    poll_seconds: float = Field(
        default=3.0, gt=0, description="How often the drop folder (or container) and unfinished batches are checked."
    )
    lease_seconds: float = Field(
        default=60.0,
        gt=0,
        description="A batch whose processor has not committed for this long is taken over by another process.",
    )
    max_stalls: int = Field(
        default=5,
        gt=0,
        description="A batch that stops this many times in a row on an unexpected error, each time before committing "
        "a chunk, fails with that error as its reason (ADR 0014); a blob store outage does not count.",
    )
    drop_settle_seconds: float = Field(
        default=2.0, ge=0, description="A dropped file is left alone until it has not changed for this long."
    )
