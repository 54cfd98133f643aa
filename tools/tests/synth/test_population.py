"""The true people: believable, valid and unique identifiers, and nothing that could reach a real person."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from precise_contracts.events.ingest.identifiers import parse_driving_licence, parse_phone_number
from precise_contracts.values import parse_ni_number, parse_postcode
from precise_tools.synth.population import Person, generate_population
from precise_tools.synth.timeline import REFERENCE_DATE

# Ofcom's numbers reserved for TV and radio drama (and so never allocated to anyone).
DRAMA_NUMBER = re.compile(
    r"07700 900\d{3}|01632 960\d{3}|0(11[3-8]|121|131|141|151|161) 496 0\d{3}|0191 498 0\d{3}|"
    r"020 7946 0\d{3}|029 2018 0\d{3}"
)


@pytest.fixture(scope="module")
def people() -> list[Person]:
    return generate_population(seed=3, count=500)


def test_ni_numbers_are_valid_and_nobody_shares_one(people: list[Person]) -> None:
    numbers = [p.ni_number for p in people]

    assert all(parse_ni_number(n) == n for n in numbers)
    assert len(set(numbers)) == len(numbers)


def test_every_address_has_a_valid_postcode_in_its_towns_area(people: list[Person]) -> None:
    for address in (a for p in people for a in p.addresses):
        assert parse_postcode(address.postcode) == address.postcode
        assert re.fullmatch(address.town.postcode_area + r"\d{1,2}", address.postcode.split()[0])


def test_addresses_follow_one_another_without_gaps(people: list[Person]) -> None:
    for person in people:
        for earlier, later in zip(person.addresses, person.addresses[1:], strict=False):
            assert earlier.moved_out == later.moved_in
        assert person.addresses[-1].moved_out is None


def test_phone_numbers_come_only_from_drama_ranges_and_are_not_shared(people: list[Person]) -> None:
    phones = [p.phone for p in people if p.phone]

    assert len(phones) > 200
    assert all(DRAMA_NUMBER.fullmatch(phone) for phone in phones), [p for p in phones if not DRAMA_NUMBER.fullmatch(p)]
    assert all(parse_phone_number(phone).startswith("+44") for phone in phones)
    assert max(Counter(phones).values()) == 1


def test_driving_licences_encode_surname_birth_date_and_sex(people: list[Person]) -> None:
    for person in (p for p in people if p.driving_licence):
        licence = person.driving_licence
        assert licence is not None
        assert parse_driving_licence(licence) == licence
        month = person.date_of_birth.month + (50 if person.sex == "F" else 0)
        assert licence[6:10] == f"{month:02d}{person.date_of_birth.day:02d}"


def test_adults_of_every_age_and_both_sexes(people: list[Person]) -> None:
    ages = [p.age_on(REFERENCE_DATE) for p in people]

    assert min(ages) >= 16
    assert max(ages) <= 76
    assert 0.4 < sum(p.sex == "F" for p in people) / len(people) < 0.6


def test_some_women_married_and_changed_surname(people: list[Person]) -> None:
    married = [p for p in people if p.maiden_name]

    assert married
    for person in married:
        assert person.married_on is not None
        assert person.surname_on(person.married_on) == person.surname
        assert person.surname_on(person.date_of_birth) == person.maiden_name
