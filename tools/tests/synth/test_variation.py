"""Sources disagree about the same person the way real ones do, and each kind of disagreement is real."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from precise_tools.synth.names import NICKNAMES, spellings
from precise_tools.synth.variation import hyphenation_variant, nickname, respell, swap_day_month, typo

ReadCsv = Callable[..., list[dict[str, str]]]


def test_swapping_day_and_month_gives_another_date_only_when_there_is_one() -> None:
    assert swap_day_month(date(1990, 4, 3)) == date(1990, 3, 4)
    assert swap_day_month(date(1990, 4, 13)) is None  # there is no 13th month
    assert swap_day_month(date(1990, 5, 5)) is None  # the same date


def test_short_forms_and_spellings_come_from_the_tables() -> None:
    rng = random.Random(1)
    assert nickname("William", rng) in ("Bill", "Will", "Billy")
    assert nickname("Zebedee", rng) is None
    assert respell("Mohammed", rng) in ("Muhammad", "Mohamed", "Mohammad", "Muhammed")
    assert respell("Smith", rng) is None


def test_a_hyphenated_surname_is_written_another_way() -> None:
    rng = random.Random(2)
    variants = {hyphenation_variant("Smith-Jones", rng) for _ in range(50)}

    assert variants == {"Smith Jones", "Smithjones", "Smith", "Jones"}
    assert hyphenation_variant("Smith", rng) is None


def one_slip(original: str, typed: str) -> bool:
    """A neighbouring key, two letters swapped, a letter dropped or a letter doubled."""
    if len(typed) == len(original):
        differ = [i for i, (a, b) in enumerate(zip(original, typed, strict=True)) if a != b]
        if len(differ) == 1:
            return True
        return len(differ) == 2 and typed[differ[0]] == original[differ[1]] and typed[differ[1]] == original[differ[0]]
    longer, shorter = (original, typed) if len(original) > len(typed) else (typed, original)
    return len(longer) == len(shorter) + 1 and any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


@pytest.mark.parametrize("seed", range(20))
def test_a_typo_is_one_small_slip(seed: int) -> None:
    typed = typo("Richardson", random.Random(seed))

    assert typed != "Richardson"
    assert typed[0] == "R"
    assert one_slip("Richardson", typed)


@pytest.fixture(scope="module")
def records_by_person(
    truth_persons: list[dict[str, str]],
    nominals: list[dict[str, str]],
    custody_rows: list[dict[str, str]],
) -> dict[str, list[tuple[str, str, str]]]:
    """Per true person, each record's (forename, surname, date of birth), from PNC and custody, upper case."""
    person_of = {(r["source_system"], r["source_record_id"]): r["person_id"] for r in truth_persons}
    found: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for row in nominals:
        first_date = row["dates_of_birth"].split(";")[0]
        found[person_of["pnc", row["record_id"]]].append((row["forenames"].split(" ")[0], row["surname"], first_date))
    for row in custody_rows:
        born = "-".join(reversed(row["DOB"].split("/"))) if row["DOB"] else ""
        found[person_of["legacy/custody", row["CUSTODY_REF"]]].append(
            (row["FORENAMES"].split(" ")[0].upper(), row["SURNAME"].upper(), born)
        )
    return found


def test_some_person_is_recorded_under_a_formal_name_and_its_short_form(
    records_by_person: dict[str, list[tuple[str, str, str]]],
) -> None:
    short_forms = {formal.upper(): {n.upper() for n in nicks} for formal, nicks in NICKNAMES.items()}

    def has_both(forenames: set[str]) -> bool:
        return any(short_forms.get(name, set()) & forenames for name in forenames)

    assert any(has_both({r[0] for r in records}) for records in records_by_person.values())


def test_some_person_has_day_and_month_swapped_between_records(
    records_by_person: dict[str, list[tuple[str, str, str]]],
) -> None:
    def swapped(births: set[str]) -> bool:
        dates = {date.fromisoformat(b) for b in births if b}
        return any(swap_day_month(d) in dates for d in dates)

    assert any(swapped({r[2] for r in records}) for records in records_by_person.values())


def test_some_woman_appears_under_her_maiden_and_her_married_surname(
    world: Path, records_by_person: dict[str, list[tuple[str, str, str]]], read_csv: ReadCsv
) -> None:
    married = {p["person_id"]: p for p in read_csv(world / "truth" / "people.csv") if p["maiden_name"]}

    def both_names(person_id: str) -> bool:
        surnames = {r[1] for r in records_by_person[person_id]}
        person = married[person_id]
        return {person["maiden_name"].upper(), person["surname"].upper()} <= surnames

    assert any(both_names(person_id) for person_id in married)


def test_some_person_is_spelt_two_ways_from_one_transliteration_group(
    records_by_person: dict[str, list[tuple[str, str, str]]],
) -> None:
    def two_spellings(names: set[str]) -> bool:
        return any(
            len({s.upper() for s in spellings(n.title())} & names) >= 2 for n in names if len(spellings(n.title())) > 1
        )

    assert any(
        two_spellings({r[0] for r in records}) or two_spellings({r[1] for r in records})
        for records in records_by_person.values()
    )
