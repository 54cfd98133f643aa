"""The blob store port: the small interface every adapter (local folder, Azure Blob Storage) implements.

Semantics every adapter proves in the conformance suite (libs/chassis/tests/blob/test_conformance.py):
- put streams the content in blocks (never the whole blob in memory), computing SHA-256 and size on the
  way; it never overwrites: a put to an existing key raises BlobExists, and of two racing puts of one key
  exactly one wins. A put that fails (its stream raises, the digest does not match) leaves no blob;
- the stored blob records its SHA-256, so head returns it without reading the content;
- get streams the bytes `start..end`, both inclusive as in an HTTP Range header (`bytes=start-end`):
  `start` defaults to 0, `end` to the last byte, and an `end` past the last byte is clamped to it. A range
  whose start is at or past the end of the blob (any explicit range on an empty blob) raises
  InvalidRange. get is an async generator: BlobNotFound and InvalidRange are raised on the first
  iteration, so a caller that must answer 404/416 before streaming calls head first and checks the range
  with `resolve_range`;
- keys are `/`-separated segments of letters, digits and `._=-`, each starting with a letter or digit and
  not ending with a dot; no `..`, no leading, trailing or doubled `/`. A key may also be the prefix of
  another (`a` and `a/b` are two blobs);
- one container per service, named like an Azure container; the adapter creates it when missing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

DEFAULT_CONTENT_TYPE = "application/octet-stream"
SHA256_METADATA = "sha256"  # the metadata name under which every adapter records the content's digest

MAX_KEY_LENGTH = 1024  # Azure's limit on a blob name
MAX_SEGMENT_LENGTH = 255  # a file name's limit: the local adapter makes a folder per segment
MAX_METADATA_BYTES = 8 * 1024  # Azure's limit on all metadata names and values together

_SEGMENT = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._=-]*[A-Za-z0-9_=-])?")
_CONTAINER = re.compile(r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}")
# Lower case only: Azure compares metadata names case-insensitively, the local sidecar would not.
_METADATA_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_HEADER_VALUE = re.compile(r"(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?")


class BlobError(Exception):
    """Base of the blob store's errors."""


class BlobExists(BlobError):
    """The key already holds a blob; blobs are never overwritten."""


class BlobNotFound(BlobError):
    """No blob is stored under the key."""


class InvalidKey(BlobError, ValueError):
    """The key breaks the key rules (see the module docstring)."""


class InvalidRange(BlobError, ValueError):
    """The byte range is malformed or not satisfiable for the blob's size (HTTP 416)."""


class DigestMismatch(BlobError, ValueError):
    """The content's SHA-256 is not the one the caller expected; nothing was stored."""


class BlobStoreUnavailable(BlobError):
    """The store cannot be reached or used (readiness)."""


@dataclass(frozen=True)
class BlobInfo:
    """What the store knows about one blob without reading its content."""

    key: str
    size: int
    sha256: str  # lower-case hex of the content's SHA-256
    content_type: str
    created_at: datetime  # UTC, when the put committed
    metadata: Mapping[str, str] = field(default_factory=dict)  # the caller's, without the sha256 entry


class BlobStore(Protocol):
    container: str

    async def put(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
        metadata: Mapping[str, str] | None = None,
        expected_sha256: str | None = None,
    ) -> BlobInfo:
        """Store the streamed content under a new key; BlobExists if the key holds a blob already.

        With `expected_sha256`, a content whose digest differs raises DigestMismatch and stores nothing.
        """

    def get(self, key: str, *, start: int | None = None, end: int | None = None) -> AsyncIterator[bytes]:
        """Stream the bytes `start..end` (inclusive) of the blob; see the module docstring for ranges."""

    async def head(self, key: str) -> BlobInfo | None:
        """The blob's info, or None when no blob is stored under the key."""

    async def ping(self) -> None:
        """Raise BlobStoreUnavailable unless the container can be used (readiness)."""

    async def close(self) -> None:
        """Release connections and credentials."""


def validate_key(key: str) -> str:
    if not isinstance(key, str) or not key:
        raise InvalidKey(f"a blob key must be a non-empty string, not {key!r}")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidKey(f"blob key is {len(key)} characters long; the limit is {MAX_KEY_LENGTH}")
    if ".." in key:
        raise InvalidKey(f"blob key {key!r} contains '..'")
    for segment in key.split("/"):
        if len(segment) > MAX_SEGMENT_LENGTH or not _SEGMENT.fullmatch(segment):
            raise InvalidKey(
                f"blob key {key!r}: each '/'-separated segment must be 1-{MAX_SEGMENT_LENGTH} of "
                "A-Z a-z 0-9 . _ = -, start with a letter or digit and not end with a dot"
            )
    return key


def validate_container(name: str) -> str:
    if not _CONTAINER.fullmatch(name):
        raise ValueError(
            f"container {name!r} must be 3-63 of a-z 0-9 and single hyphens, starting and ending with a "
            "letter or digit (Azure's container rules)"
        )
    return name


def validate_content_type(content_type: str) -> str:
    if not content_type or len(content_type) > 255 or not _HEADER_VALUE.fullmatch(content_type):
        raise ValueError(f"content type {content_type!r} must be 1-255 printable ASCII characters")
    return content_type


def validate_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    """A copy of the caller's metadata once it is known to be storable by every adapter."""
    checked = dict(metadata or {})
    for name, value in checked.items():
        if not isinstance(name, str) or not _METADATA_NAME.fullmatch(name):
            raise ValueError(f"metadata name {name!r} must be a-z, 0-9 and _, starting with a letter")
        if name == SHA256_METADATA:
            raise ValueError(f"metadata name {SHA256_METADATA!r} is reserved for the content's digest")
        if not isinstance(value, str) or not _HEADER_VALUE.fullmatch(value):
            raise ValueError(f"metadata {name!r}: the value must be printable ASCII without surrounding whitespace")
    if sum(len(name) + len(value) for name, value in checked.items()) > MAX_METADATA_BYTES:
        raise ValueError(f"metadata is larger than {MAX_METADATA_BYTES} bytes")
    return checked


def resolve_range(start: int | None, end: int | None, size: int) -> tuple[int, int]:
    """The (offset, length) that `get(start=, end=)` reads from a blob of `size` bytes.

    Raises InvalidRange for a malformed range or one that starts at or past the end of the blob.
    """
    for name, value in (("start", start), ("end", end)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise InvalidRange(f"range {name} must be a non-negative integer, not {value!r}")
    if start is not None and end is not None and end < start:
        raise InvalidRange(f"range end {end} is before its start {start}")
    if start is None and end is None:
        return 0, size
    first = start or 0
    if first >= size:
        raise InvalidRange(f"range starts at byte {first} but the blob has {size} bytes")
    last = size - 1 if end is None else min(end, size - 1)
    return first, last - first + 1


def check_expected_sha256(key: str, expected: str | None, actual: str) -> None:
    if expected is not None and expected.lower() != actual:
        raise DigestMismatch(f"blob {key!r}: content SHA-256 is {actual}, the caller expected {expected}")


class ContentDigest:
    """The SHA-256 and size of content seen so far."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self.size = 0

    def update(self, block: bytes) -> None:
        self._hash.update(block)
        self.size += len(block)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


async def blocks(chunks: AsyncIterable[bytes], block_size: int) -> AsyncIterator[bytes]:
    """Re-cut a stream of chunks of any size into blocks of `block_size` (the last may be shorter).

    Adapters write in blocks big enough to be efficient and small enough to bound memory.
    """
    if block_size <= 0:
        raise ValueError(f"block size must be positive, not {block_size}")
    pending = bytearray()
    async for chunk in chunks:
        if not isinstance(chunk, bytes | bytearray | memoryview):
            raise TypeError(f"blob content must be streamed as bytes, not {type(chunk).__name__}")
        if not pending and len(chunk) == block_size:
            yield bytes(chunk)
            continue
        pending += chunk
        while len(pending) >= block_size:
            yield bytes(pending[:block_size])
            del pending[:block_size]
    if pending:
        yield bytes(pending)
