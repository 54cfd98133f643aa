import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from precise_contracts.codes.warning_markers import WarningCode
from precise_contracts.envelope import Envelope, Event
from precise_contracts.events.ingest.person import NameKind, PersonRecordObserved, Sex

Carry = Callable[[Event], tuple[Envelope, Event]]

SOURCE: dict[str, Any] = {
    "system": "pnc",
    "record_id": "NOM-0001",
    "recorded_on": "2024-03-01",
    "review_by": "2030-03-01",
    "content_hash": hashlib.sha256(b"NOM-0001 v1").hexdigest(),
}
# Synthetic: reserved phone range, example licence, the PNC and CRO examples worked in values/.
RECORD: dict[str, Any] = {
    "source": SOURCE,
    "names": [
        {"forenames": ["Jane", "Anne"], "surname": "Exampleton", "kind": "primary"},
        {"forenames": ["Jane"], "surname": "Sampleford", "kind": "maiden"},
        {"forenames": ["Janey"], "surname": "Exampleton", "kind": "alias"},
    ],
    "dates_of_birth": ["1976-03-11", "1976-11-03"],
    "sex": "female",
    "addresses": [
        {
            "lines": ["10 Example Street"],
            "town": "Exampleton",
            "postcode": "sw1a 1aa",
            "kind": "home",
            "valid_from": "2019-06-01",
        },
        {
            "lines": ["Flat 2", "5 Sample Road"],
            "town": "Sampleford",
            "kind": "previous",
            "valid_from": "2010-01-01",
            "valid_to": "2019-05-31",
        },
    ],
    "phones": ["07700 900123"],
    "identifiers": {
        "pnc_id": "1998/1234567L",
        "cro_number": "123456/98E",
        "ni_number": "AB 12 34 56 C",
        "driving_licence": "MORGA753116SM9IJ",
        "passport": {"number": "123456789", "issuing_state": "GBR"},
    },
    "warning_markers": [
        {
            "code": "fi",
            "recorded_on": "2022-05-04",
            "review_by": "2027-05-04",
            "source_reference": "CRIME/22/1234",
            "details": "Imitation firearm recovered on arrest.",
        },
        {"code": "SU", "recorded_on": "2023-01-10"},
    ],
    "wanted": {"since": "2024-02-20", "offence": "Burglary (warrant)", "circulated_by": {"code": "01"}},
    "missing": None,
    "is_update": False,
}


def person(**changes: Any) -> PersonRecordObserved:
    return PersonRecordObserved.model_validate({**RECORD, **changes})


def test_a_person_record_crosses_the_bus_unchanged(carry: Carry) -> None:
    record = person()

    envelope, received = carry(record)

    assert received == record
    assert envelope.type == "uk.police.precise.ingest.person-record-observed.v1"
    assert envelope.subject == "pnc:NOM-0001"
    assert envelope.dataschema == "urn:uk:police:precise:schema:uk.police.precise.ingest.person-record-observed.v1"


def test_identifiers_and_contact_details_arrive_normalised() -> None:
    record = person()

    assert record.identifiers.pnc_id == "98/1234567L"
    assert record.identifiers.ni_number == "AB123456C"
    assert record.addresses[0].postcode == "SW1A 1AA"
    assert record.phones == ("+447700900123",)
    assert [m.code for m in record.warning_markers] == [WarningCode.FIREARMS, WarningCode.SUICIDAL]
    assert record.sex is Sex.FEMALE
    assert [n.kind for n in record.names] == [NameKind.PRIMARY, NameKind.MAIDEN, NameKind.ALIAS]


def test_the_subject_is_the_source_and_record_id() -> None:
    legacy = {**SOURCE, "system": "legacy", "legacy_system": "niche-rms", "record_id": "N/123"}

    assert person().subject() == "pnc:NOM-0001"
    assert person(source=legacy).subject() == "legacy/niche-rms:N/123"


def test_a_minimal_record_needs_only_source_name_sex_and_update_flag() -> None:
    record = PersonRecordObserved.model_validate(
        {"source": SOURCE, "names": [{"surname": "Exampleton", "kind": "primary"}], "sex": "unknown", "is_update": True}
    )

    assert record.names[0].forenames == ()
    assert record.identifiers.pnc_id is None
    assert record.is_update


def test_a_bad_pnc_id_check_letter_is_refused_saying_which_letter_is_due() -> None:
    with pytest.raises(ValidationError, match="PNC ID '98/1234567A' has check letter A but 98/1234567 needs L"):
        person(identifiers={"pnc_id": "98/1234567A"})


def test_a_bad_postcode_is_refused() -> None:
    address = {"lines": ["1 High Street"], "postcode": "SW1A 1CA", "kind": "home"}

    with pytest.raises(ValidationError, match="inward code 1CA, but inward codes never use C, I, K, M, O or V"):
        person(addresses=[address])


@pytest.mark.parametrize(
    ("kinds", "count"),
    [(["alias"], 0), (["primary", "primary"], 2), (["maiden", "alias"], 0)],
)
def test_a_record_has_exactly_one_primary_name(kinds: list[str], count: int) -> None:
    names = [{"surname": "Exampleton", "kind": kind} for kind in kinds]

    with pytest.raises(ValidationError, match=f"exactly one primary name, not {count}"):
        person(names=names)


def test_a_record_has_a_name() -> None:
    with pytest.raises(ValidationError, match="names"):
        person(names=[])


def test_a_date_of_birth_after_the_record_was_made_is_refused() -> None:
    with pytest.raises(ValidationError, match="date of birth 2024-03-02 is after the record was made"):
        person(dates_of_birth=["2024-03-02"])


def test_an_unknown_warning_code_is_refused() -> None:
    with pytest.raises(ValidationError, match="warning code 'XX' is not a PNC warning signal"):
        person(warning_markers=[{"code": "XX", "recorded_on": "2023-01-10"}])
    with pytest.raises(ValidationError, match=r"warning_markers\.0\.code"):
        person(warning_markers=[{"code": 7, "recorded_on": "2023-01-10"}])


def test_a_warning_marker_is_reviewed_after_it_is_recorded() -> None:
    marker = {"code": "VI", "recorded_on": "2023-01-10", "review_by": "2022-01-10"}

    with pytest.raises(ValidationError, match="warning marker VI review_by 2022-01-10 is before its recorded_on"):
        person(warning_markers=[marker])


def test_an_address_link_ends_after_it_starts() -> None:
    address = {"lines": ["1 High Street"], "kind": "previous", "valid_from": "2020-01-01", "valid_to": "2019-01-01"}

    with pytest.raises(ValidationError, match="address valid_to 2019-01-01 is before its valid_from 2020-01-01"):
        person(addresses=[address])


def test_a_missing_person_carries_the_risk_grading() -> None:
    record = person(wanted=None, missing={"since": "2024-02-28", "risk": "high"})

    assert record.missing is not None
    assert record.missing.risk == "high"
    with pytest.raises(ValidationError, match="risk"):
        person(missing={"since": "2024-02-28", "risk": "severe"})


def test_the_wanting_force_is_a_pnc_force_code() -> None:
    with pytest.raises(ValidationError, match=r"circulated_by\.code"):
        person(wanted={"since": "2024-02-20", "offence": "Burglary", "circulated_by": {"code": "Met"}})


def test_the_update_flag_is_always_stated() -> None:
    fields = {key: value for key, value in RECORD.items() if key != "is_update"}

    with pytest.raises(ValidationError, match="is_update"):
        PersonRecordObserved.model_validate(fields)
