from __future__ import annotations

import re

import pytest

from precise_chassis.auth.purpose import Purpose, PurposeError, parse_purpose


@pytest.mark.parametrize(
    ("header", "reference", "reason"),
    [
        (
            "INC-20261122-0042; checking warning markers before attending",
            "INC-20261122-0042",
            "checking warning markers before attending",
        ),
        ("CASE/2026/0815;disclosure review", "CASE/2026/0815", "disclosure review"),
        ("  inc-7 ;   why: a ; in the reason is fine  ", "inc-7", "why: a ; in the reason is fine"),
    ],
)
def test_a_reference_and_reason_are_read_from_the_header(header: str, reference: str, reason: str) -> None:
    assert parse_purpose(header) == Purpose(reference, reason)


def test_a_purpose_prints_back_as_the_header_it_came_from() -> None:
    purpose = Purpose("CASE/2026/0815", "file review")
    assert parse_purpose(str(purpose)) == purpose


@pytest.mark.parametrize(
    ("header", "says"),
    [
        (None, "header is required"),
        ("   ", "header is required"),
        ("INC-20261122-0042 checking markers", "with a ';' between them"),
        ("; checking markers", "no incident or case reference"),
        ("N/A; just looking", "not an incident or case reference"),
        ("none; just looking", "at least one digit"),
        ("INC 2026 0042; spaces are not part of a reference", "not an incident or case reference"),
        ("INC--0042; doubled separator", "not an incident or case reference"),
        ("-0042; leading separator", "not an incident or case reference"),
        ("INC-" + "1" * 40 + "; too long", "up to 40 characters"),
        ("INC-0042; ok", "at least 3 characters"),
        ("INC-0042;", "at least 3 characters"),
        ("INC-0042; " + "x" * 501, "is 501 characters long; the limit is 500"),
    ],
)
def test_each_malformed_purpose_is_refused_with_a_reason_the_caller_can_act_on(header: str | None, says: str) -> None:
    with pytest.raises(PurposeError, match=re.escape(says)):
        parse_purpose(header)


def test_a_reference_of_exactly_forty_characters_and_a_reason_of_five_hundred_are_accepted() -> None:
    reference = "CASE/" + "9" * 35
    purpose = parse_purpose(f"{reference}; " + "r" * 500)
    assert (len(purpose.reference), len(purpose.reason)) == (40, 500)
