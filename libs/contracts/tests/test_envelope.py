"""The envelope carries a large payload compressed (ADR 0015) and gives consumers and tools its JSON."""

from __future__ import annotations

import json
from typing import ClassVar

import pytest

from precise_contracts.envelope import Envelope, Event


class NoteAdded(Event):
    type: ClassVar[str] = "uk.police.precise.casework.note-added.v1"

    case_ref: str
    note: str


LONG = NoteAdded(case_ref="CASE/2026/0042", note="house-to-house enquiries, Acacia Avenue: no answer. " * 400)
SHORT = NoteAdded(case_ref="CASE/2026/0042", note="witness traced")


def test_a_short_payload_travels_as_its_json() -> None:
    sent = Envelope.wrap(SHORT, service="casework")
    assert sent.dataencoding is None
    assert json.loads(sent.data) == {"case_ref": "CASE/2026/0042", "note": "witness traced"}


def test_a_long_payload_travels_compressed_and_decodes_to_the_event() -> None:
    sent = Envelope.wrap(LONG, service="casework")
    assert sent.dataencoding == "zstd"
    assert len(sent.data) < len(LONG.model_dump_json()) / 10
    assert sent.decode(NoteAdded) == LONG
    assert sent.payload() == LONG.model_dump()
    assert sent.attributes()["dataencoding"] == "zstd"


def test_the_structured_form_inlines_the_json_so_it_never_says_compressed() -> None:
    body = Envelope.wrap(LONG, service="casework").to_bytes()
    fields = json.loads(body)
    assert "dataencoding" not in fields
    assert fields["data"]["note"] == LONG.note
    assert Envelope.from_bytes(body).decode(NoteAdded) == LONG


def test_a_structured_event_claiming_compressed_data_is_refused() -> None:
    fields = json.loads(Envelope.wrap(SHORT, service="casework").to_bytes())
    with pytest.raises(ValueError, match="has no `dataencoding`"):
        Envelope.from_bytes(json.dumps({**fields, "dataencoding": "zstd"}).encode())
