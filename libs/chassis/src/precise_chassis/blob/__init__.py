"""The blob store port and its adapters (local folder, Azure Blob Storage / Azurite)."""

from precise_chassis.blob.port import (
    DEFAULT_CONTENT_TYPE,
    BlobError,
    BlobExists,
    BlobInfo,
    BlobNotFound,
    BlobStore,
    BlobStoreUnavailable,
    DigestMismatch,
    InvalidKey,
    InvalidRange,
    resolve_range,
)

__all__ = [
    "DEFAULT_CONTENT_TYPE",
    "BlobError",
    "BlobExists",
    "BlobInfo",
    "BlobNotFound",
    "BlobStore",
    "BlobStoreUnavailable",
    "DigestMismatch",
    "InvalidKey",
    "InvalidRange",
    "resolve_range",
]
