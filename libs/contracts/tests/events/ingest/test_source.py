import hashlib
from typing import Any

import pytest
from pydantic import ValidationError

from precise_contracts.events.ingest.source import BlobRef, SourceRecordRef, SourceSystem, SourceSystemRef

DIGEST = hashlib.sha256(b"synthetic record").hexdigest()
RECORD: dict[str, Any] = {
    "system": "pnc",
    "record_id": "REC-000123",
    "recorded_on": "2024-03-01",
    "review_by": "2030-03-01",
    "content_hash": DIGEST,
}


def test_a_national_record_is_keyed_by_system_and_id() -> None:
    ref = SourceRecordRef.model_validate(RECORD)

    assert ref.system is SourceSystem.PNC
    assert ref.key() == "pnc:REC-000123"


def test_a_legacy_record_is_keyed_by_the_legacy_system_too() -> None:
    ref = SourceRecordRef.model_validate({**RECORD, "system": "legacy", "legacy_system": "niche-rms"})

    assert ref.key() == "legacy/niche-rms:REC-000123"


def test_a_legacy_source_must_say_which_legacy_system() -> None:
    with pytest.raises(ValidationError, match="a legacy source needs legacy_system"):
        SourceSystemRef(system=SourceSystem.LEGACY)


def test_a_national_source_has_no_legacy_name() -> None:
    with pytest.raises(ValidationError, match="legacy_system is only for legacy sources, not ident1"):
        SourceSystemRef(system=SourceSystem.IDENT1, legacy_system="niche-rms")


def test_legacy_names_are_slugs() -> None:
    with pytest.raises(ValidationError, match="legacy_system"):
        SourceSystemRef(system=SourceSystem.LEGACY, legacy_system="Niche RMS")


def test_the_review_date_cannot_precede_the_recording() -> None:
    with pytest.raises(
        ValidationError, match="source record review_by 2024-02-29 is before its recorded_on 2024-03-01"
    ):
        SourceRecordRef.model_validate({**RECORD, "review_by": "2024-02-29"})


def test_record_ids_are_trimmed_and_never_blank() -> None:
    assert SourceRecordRef.model_validate({**RECORD, "record_id": "  REC-1 "}).record_id == "REC-1"
    with pytest.raises(ValidationError, match="record_id"):
        SourceRecordRef.model_validate({**RECORD, "record_id": "   "})


def test_content_hashes_are_lower_case_sha256() -> None:
    assert SourceRecordRef.model_validate({**RECORD, "content_hash": DIGEST.upper()}).content_hash == DIGEST
    with pytest.raises(ValidationError, match="is not 64 hexadecimal digits"):
        SourceRecordRef.model_validate({**RECORD, "content_hash": DIGEST[:-1]})


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        SourceRecordRef.model_validate({**RECORD, "recorded_by": "someone"})


def test_refs_cannot_be_changed_after_the_fact() -> None:
    ref = SourceRecordRef.model_validate(RECORD)

    with pytest.raises(ValidationError, match="frozen"):
        ref.record_id = "REC-999"  # type: ignore[misc]


def test_a_blob_is_referenced_by_key_and_digest() -> None:
    blob = BlobRef(key="anpr/plates/read-1.jpg", sha256=DIGEST)

    assert blob.sha256 == DIGEST
    with pytest.raises(ValidationError, match="is not 64 hexadecimal digits"):
        BlobRef(key="anpr/plates/read-1.jpg", sha256="not-a-digest")
    with pytest.raises(ValidationError, match="key"):
        BlobRef(key="", sha256=DIGEST)


@pytest.mark.parametrize("record_id", ["REC\x00123", "REC\n123", "REC\t123", "REC\x7f"])
def test_a_record_id_holding_a_control_character_is_refused(record_id: str) -> None:
    with pytest.raises(ValidationError, match="record_id"):
        SourceRecordRef.model_validate({**RECORD, "record_id": record_id})


def test_a_record_id_in_any_script_with_punctuation_is_kept_as_written() -> None:
    for record_id in ("LEG/Łódź-Ærø-07", "ANPR-читать-1", "98/1234567L", "rid é 🚗"):
        assert SourceRecordRef.model_validate({**RECORD, "record_id": record_id}).record_id == record_id
