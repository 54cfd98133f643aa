"""The content hash: the same content always hashes the same, whatever the ingest-only fields say."""

from __future__ import annotations

import io

from precise_ingest.adapters.pnc import HEADER, PncAdapter
from precise_ingest.adapters.port import Parsed
from precise_ingest.fingerprint import Seen, content_hash, seen, stamped

from precise_contracts.events.ingest import PersonRecordObserved

ROW = b"N1,98/1234567L,,HARRIS,WILLIAM,,1975-11-09,M,,,,,,,1998-07-20,2033-02-14\r\n"


def record(row: bytes = ROW) -> PersonRecordObserved:
    (parsed,) = PncAdapter().read(io.BytesIO(",".join(HEADER).encode() + b"\r\n" + row), options={})
    assert isinstance(parsed, Parsed)
    assert isinstance(parsed.record, PersonRecordObserved)
    return parsed.record


def test_the_stamped_record_carries_its_hash_and_hashes_the_same() -> None:
    original = record()
    digest = content_hash(original)

    update = stamped(original, digest=digest, is_update=True)

    assert update.source.content_hash == digest
    assert update.is_update is True
    assert content_hash(update) == digest
    assert content_hash(record(ROW.replace(b"WILLIAM", b"BILL"))) != digest


def test_the_ledger_verdict() -> None:
    assert seen(None, "a" * 64) is Seen.NEW
    assert seen("a" * 64, "a" * 64) is Seen.DUPLICATE
    assert seen("a" * 64, "b" * 64) is Seen.UPDATE
