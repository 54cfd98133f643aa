"""Event data as it travels: small payloads as JSON, large ones as a zstd frame that reads back exactly."""

from __future__ import annotations

import json

import pytest
import zstandard

from precise_contracts.data_encoding import COMPRESS_FROM, MAX_DECODED_BYTES, UndecodableData, decoded, encoded


def payload_of(size: int) -> bytes:
    reads = [f"images/2026/03/01/{n:08d}-plate.jpg" for n in range(size // 40 + 1)]
    return json.dumps({"plate_images": reads}).encode()[:size]


def test_a_small_payload_travels_as_its_json() -> None:
    json_bytes = payload_of(COMPRESS_FROM - 1)
    assert encoded(json_bytes) == (json_bytes, None)
    assert decoded(json_bytes, None) == json_bytes


def test_a_large_payload_travels_compressed_and_reads_back_byte_for_byte() -> None:
    json_bytes = payload_of(200_000)
    data, encoding = encoded(json_bytes)
    assert encoding == "zstd"
    assert len(data) < len(json_bytes) / 4
    assert decoded(data, encoding) == json_bytes


def test_data_that_is_not_a_zstd_frame_is_undecodable() -> None:
    with pytest.raises(UndecodableData, match="not a zstd frame"):
        decoded(b'{"vrm":"AB12CDE"}', "zstd")


def test_a_frame_that_does_not_state_its_size_is_refused() -> None:
    streamed = zstandard.ZstdCompressor(write_content_size=False).compress(payload_of(COMPRESS_FROM))
    with pytest.raises(UndecodableData, match="does not state its size"):
        decoded(streamed, "zstd")


def test_a_frame_claiming_more_than_any_message_holds_is_refused_before_it_is_inflated() -> None:
    bomb = zstandard.ZstdCompressor().compress(bytes(MAX_DECODED_BYTES + 1))
    assert len(bomb) < 10_000
    with pytest.raises(UndecodableData, match=f"states {MAX_DECODED_BYTES + 1} bytes"):
        decoded(bomb, "zstd")
