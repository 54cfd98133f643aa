import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from precise_contracts.envelope import Envelope, Event
from precise_contracts.events.ingest.intelligence import (
    HandlingCode,
    IntelligenceAssessment,
    IntelligenceRecorded,
    SourceEvaluation,
    SubjectKind,
    SubjectRef,
)

Carry = Callable[[Event], tuple[Envelope, Event]]

REPORT: dict[str, Any] = {
    "source": {
        "system": "legacy",
        "legacy_system": "intel-db",
        "record_id": "INT-77",
        "recorded_on": "2024-02-14",
        "review_by": "2025-02-14",
        "content_hash": hashlib.sha256(b"INT-77").hexdigest(),
    },
    "text": "Subject seen using a silver hatchback to deliver packages to Sample Road most evenings.",
    "subjects": [
        {"kind": "person", "value": "Jane EXAMPLETON"},
        {"kind": "vehicle", "value": "ab12 cde"},
        {"kind": "address", "value": "5 Sample Road, Sampleford"},
        {"kind": "phone", "value": "07700 900123"},
    ],
    "grading": {"source_evaluation": "2", "intelligence_assessment": "B", "handling_code": "P"},
}


def report(**changes: Any) -> IntelligenceRecorded:
    return IntelligenceRecorded.model_validate({**REPORT, **changes})


def test_an_intelligence_report_crosses_the_bus_unchanged(carry: Carry) -> None:
    sent = report()

    envelope, received = carry(sent)

    assert received == sent
    assert envelope.type == "uk.police.precise.ingest.intelligence-recorded.v1"
    assert envelope.subject == "legacy/intel-db:INT-77"


def test_the_grading_reads_as_3x5x2() -> None:
    grading = report().grading

    assert grading.source_evaluation is SourceEvaluation.UNTESTED
    assert grading.intelligence_assessment is IntelligenceAssessment.KNOWN_INDIRECTLY_CORROBORATED
    assert grading.handling_code is HandlingCode.PERMITTED


@pytest.mark.parametrize(
    ("grading", "field"),
    [
        ({"source_evaluation": "4", "intelligence_assessment": "A", "handling_code": "P"}, "source_evaluation"),
        ({"source_evaluation": "1", "intelligence_assessment": "F", "handling_code": "P"}, "intelligence_assessment"),
        ({"source_evaluation": "1", "intelligence_assessment": "A", "handling_code": "X"}, "handling_code"),
    ],
)
def test_grades_outside_3x5x2_are_refused(grading: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        report(grading=grading)


def test_handling_code_c_carries_its_conditions() -> None:
    conditional = {"source_evaluation": "1", "intelligence_assessment": "A", "handling_code": "C"}

    with pytest.raises(ValidationError, match="handling code C needs handling_conditions"):
        report(grading=conditional)
    graded = report(grading={**conditional, "handling_conditions": "Not to be shared outside the force."}).grading
    assert graded.handling_conditions == "Not to be shared outside the force."


def test_handling_code_p_has_no_conditions() -> None:
    permitted = {"source_evaluation": "1", "intelligence_assessment": "A", "handling_code": "P"}

    with pytest.raises(ValidationError, match="handling code P permits sharing without conditions"):
        report(grading={**permitted, "handling_conditions": "Only to CPS."})


def test_vehicles_and_phones_are_normalised_so_they_can_be_matched() -> None:
    subjects = {ref.kind: ref.value for ref in report().subjects}

    assert subjects == {
        SubjectKind.PERSON: "Jane EXAMPLETON",
        SubjectKind.VEHICLE: "AB12CDE",
        SubjectKind.ADDRESS: "5 Sample Road, Sampleford",
        SubjectKind.PHONE: "+447700900123",
    }


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [("vehicle", "AB12IDE", "VRM 'AB12IDE' has the current layout"), ("phone", "12345", "is neither a UK number")],
)
def test_subjects_that_cannot_be_matched_are_refused(kind: str, value: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SubjectRef.model_validate({"kind": kind, "value": value})


@pytest.mark.parametrize(
    ("grade", "line"),
    [
        (SourceEvaluation, "- 3: not reliable"),
        (IntelligenceAssessment, "- E: suspected to be false"),
        (HandlingCode, "- C: lawful sharing permitted subject to conditions"),
    ],
)
def test_the_grading_meanings_are_published_with_the_schema(grade: type, line: str) -> None:
    assert line in TypeAdapter(grade).json_schema()["description"]
