import pytest
from pydantic import TypeAdapter

from precise_contracts.codes.warning_markers import MEANINGS, WarningCode, meaning, parse_warning_code


@pytest.mark.parametrize(
    ("code", "signal"),
    [
        ("FI", WarningCode.FIREARMS),
        ("WE", WarningCode.WEAPONS),
        ("VI", WarningCode.VIOLENT),
        ("MH", WarningCode.MENTAL_HEALTH),
        ("SU", WarningCode.SUICIDAL),
        ("DR", WarningCode.DRUGS),
        ("ES", WarningCode.ESCAPER),
        ("AT", WarningCode.AILMENT),
        ("CO", WarningCode.CONTAGIOUS),
        ("EX", WarningCode.EXPLOSIVES),
        ("IS", WarningCode.IMPERSONATES),
        ("IM", WarningCode.IMPERSONATES_MALE),
        ("IF", WarningCode.IMPERSONATES_FEMALE),
        ("IP", WarningCode.IMPERSONATES_POLICE),
        ("AG", WarningCode.ALLEGES),
        ("SX", WarningCode.SEXUAL_OFFENCES),
    ],
)
def test_two_letter_codes_parse_to_their_signal(code: str, signal: WarningCode) -> None:
    assert parse_warning_code(code) is signal


@pytest.mark.parametrize("raw", ["fi", " FI ", "f i", "Fi\t"])
def test_codes_are_read_in_any_case_or_spacing(raw: str) -> None:
    assert parse_warning_code(raw) is WarningCode.FIREARMS


@pytest.mark.parametrize("raw", ["ZZ", "", "FIR", "firearms"])
def test_unknown_codes_are_refused_listing_the_known_ones(raw: str) -> None:
    with pytest.raises(ValueError, match=rf"warning code {raw!r} is not a PNC warning signal \(known: AG, AT, CO"):
        parse_warning_code(raw)


def test_every_signal_has_a_meaning() -> None:
    assert set(MEANINGS) == set(WarningCode)
    assert all(text.strip() for text in MEANINGS.values())


@pytest.mark.parametrize(
    ("code", "words"),
    [("FI", "firearm"), ("we", "weapon"), (WarningCode.SUICIDAL, "self-harm"), ("ES", "escape"), ("CO", "contagious")],
)
def test_meaning_tells_an_officer_what_the_signal_warns_of(code: WarningCode | str, words: str) -> None:
    assert words in meaning(code)


def test_meaning_of_an_unknown_code_is_an_error() -> None:
    with pytest.raises(ValueError, match="not a PNC warning signal"):
        meaning("QQ")


def test_the_published_schema_lists_every_code_with_its_meaning() -> None:
    description = TypeAdapter(WarningCode).json_schema()["description"]

    for code, text in MEANINGS.items():
        assert f"- {code.value} ({code.name.lower().replace('_', ' ')}): {text}" in description
