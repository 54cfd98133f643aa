"""Platform settings, read from the environment (prefix PRECISE_) once per process.

The profile picks the adapters: embedded (no servers), local (PostgreSQL, RabbitMQ, Azurite), azure.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Profile(StrEnum):
    EMBEDDED = "embedded"
    LOCAL = "local"
    AZURE = "azure"


AZURITE_ACCOUNT = "devstoreaccount1"
# Azurite's published, well-known development key; not a secret.
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def azurite_connection_string(port: int = 10000, host: str = "127.0.0.1") -> str:
    return (
        f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
        f"BlobEndpoint=http://{host}:{port}/{AZURITE_ACCOUNT};"
    )


class PlatformSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PRECISE_", extra="ignore")

    profile: Profile = Profile.EMBEDDED
    data_dir: Path = Field(default=Path(".precise"), description="Embedded databases, blobs, dev issuer key.")

    # database
    database_url: str = Field(
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/precise",
        description="PostgreSQL URL for local and azure; each service gets its own schema.",
    )
    schema_prefix: str = Field(default="", description="Prefix for service schemas (tests isolate by it).")

    # bus
    rabbitmq_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    servicebus_connection: str | None = Field(default=None, description="Service Bus connection string.")
    servicebus_namespace: str | None = Field(
        default=None, description="Fully qualified namespace, used with managed identity when no connection."
    )
    topology_prefix: str = Field(default="", description="Prefix for exchanges/queues/topics (test isolation).")
    max_delivery: int = 10
    consumer_concurrency: int = 8

    # blob store
    blob_connection: str | None = Field(
        default=None, description="Azure Storage connection string; Azurite's when unset in the local profile."
    )
    blob_account_url: str | None = Field(default=None, description="Account URL, with managed identity.")
    blob_container_prefix: str = ""

    # identity
    auth_issuer: str = "https://precise.dev.invalid/issuer"
    auth_audience: str = "api://precise"
    auth_jwks_url: str | None = Field(default=None, description="JWKS of Entra ID in the azure profile.")
    entra_tenant_id: str | None = None
    entra_client_id: str | None = None

    # outbox relay and shutdown
    outbox_poll_seconds: float = 0.5
    outbox_batch: int = 200
    outbox_retention_seconds: float = Field(
        default=86_400.0, ge=0, description="How long published outbox rows are kept before they are deleted."
    )
    shutdown_grace_seconds: float = 10.0

    # telemetry
    service_namespace: str = "precise"
    log_json: bool = True
    log_level: str = "INFO"

    @property
    def embedded(self) -> bool:
        return self.profile is Profile.EMBEDDED

    def schema_for(self, service: str) -> str:
        return f"{self.schema_prefix}{service}".replace("-", "_")
