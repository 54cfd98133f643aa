"""The port's own rules, shared by every adapter: ranges, re-cutting a stream into blocks, names."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from precise_chassis.blob.port import (
    InvalidRange,
    blocks,
    resolve_range,
    validate_container,
    validate_content_type,
    validate_metadata,
)


@pytest.mark.parametrize(
    ("start", "end", "size", "expected"),
    [
        (None, None, 0, (0, 0)),
        (None, None, 10, (0, 10)),
        (0, 0, 10, (0, 1)),
        (3, None, 10, (3, 7)),
        (None, 4, 10, (0, 5)),
        (9, 9, 10, (9, 1)),
        (8, 1000, 10, (8, 2)),
    ],
)
def test_a_range_resolves_to_offset_and_length(
    start: int | None, end: int | None, size: int, expected: tuple[int, int]
) -> None:
    assert resolve_range(start, end, size) == expected


@pytest.mark.parametrize(
    ("start", "end", "size", "message"),
    [
        (10, None, 10, "starts at byte 10 but the blob has 10 bytes"),
        (0, 0, 0, "starts at byte 0 but the blob has 0 bytes"),
        (None, 0, 0, "starts at byte 0 but the blob has 0 bytes"),
        (5, 4, 10, "end 4 is before its start 5"),
        (-1, None, 10, "start must be a non-negative integer"),
        (True, None, 10, "start must be a non-negative integer"),
    ],
)
def test_an_unsatisfiable_range_says_why(start: int | None, end: int | None, size: int, message: str) -> None:
    with pytest.raises(InvalidRange, match=message):
        resolve_range(start, end, size)


async def _chunks(*sizes: int) -> AsyncIterator[bytes]:
    for number, size in enumerate(sizes):
        yield bytes([number]) * size


@pytest.mark.parametrize(
    ("sizes", "expected"),
    [
        ((3, 3, 3, 3), [4, 4, 4]),
        ((10,), [4, 4, 2]),
        ((4, 4), [4, 4]),
        ((0, 1, 0, 2), [3]),
        ((), []),
    ],
)
async def test_a_stream_is_recut_into_blocks_without_losing_bytes(sizes: tuple[int, ...], expected: list[int]) -> None:
    recut = [block async for block in blocks(_chunks(*sizes), 4)]

    assert [len(block) for block in recut] == expected
    assert b"".join(recut) == b"".join([chunk async for chunk in _chunks(*sizes)])


async def test_a_stream_of_text_is_refused() -> None:
    async def text() -> AsyncIterator[str]:
        yield "not bytes"

    with pytest.raises(TypeError, match="bytes, not str"):
        [block async for block in blocks(text(), 4)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({"Exhibit": "x"}, "metadata name 'Exhibit'"),
        ({"1st": "x"}, "metadata name '1st'"),
        ({"with-dash": "x"}, "metadata name 'with-dash'"),
        ({"sha256": "x"}, "reserved"),
        ({"note": " padded"}, "printable ASCII"),
        ({"note": "line\nbreak"}, "printable ASCII"),
        ({"note": "caf\u00e9"}, "printable ASCII"),
        ({"note": "x" * 9000}, "larger than 8192 bytes"),
    ],
)
def test_metadata_every_adapter_cannot_store_is_refused(metadata: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_metadata(metadata)


def test_storable_metadata_is_copied() -> None:
    given = {"exhibit": "EX-1", "officer_id": "PC 1234", "empty": ""}
    checked = validate_metadata(given)
    given["exhibit"] = "changed later"

    assert checked == {"exhibit": "EX-1", "officer_id": "PC 1234", "empty": ""}


@pytest.mark.parametrize("name", ["evidence-vault", "abc", "a1-b2-c3", "x" * 63])
def test_azure_container_names_are_accepted(name: str) -> None:
    assert validate_container(name) == name


@pytest.mark.parametrize("name", ["ab", "Evidence", "evidence_vault", "-vault", "vault-", "a--b", "x" * 64])
def test_names_azure_would_refuse_as_containers_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="container"):
        validate_container(name)


@pytest.mark.parametrize("content_type", ["", "video/mp4\r\nX-Injected: 1", "text/plain; charset=\u00e9"])
def test_content_types_that_are_not_header_values_are_refused(content_type: str) -> None:
    with pytest.raises(ValueError, match="content type"):
        validate_content_type(content_type)
