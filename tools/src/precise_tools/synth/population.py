"""The true people: who each synthetic person really is, before any source records them imperfectly.

Names and streets come from Faker (en_GB, seeded); some people are deliberately given names that
sources abbreviate or spell differently (see ``names``), some women married and changed surname, and
some surnames are double-barrelled, so every population exercises those disagreements.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from faker import Faker

from precise_tools.synth.identifiers import MOBILE_PREFIX, IdentifierBook
from precise_tools.synth.names import (
    FEMALE_NICKNAMES,
    FEMALE_TRANSLITERATIONS,
    MALE_NICKNAMES,
    MALE_TRANSLITERATIONS,
    SURNAME_TRANSLITERATIONS,
)
from precise_tools.synth.timeline import REFERENCE_DATE, add_years, random_date
from precise_tools.synth.towns import CITIES, TOWNS, Town, offset

_STREET_KINDS = ("Road", "Street", "Lane", "Close", "Avenue", "Drive", "Way", "Crescent", "Grove", "Terrace")


@dataclass(frozen=True)
class Address:
    lines: tuple[str, ...]  # premises and street; the town is ``town.name``
    town: Town
    postcode: str
    latitude: float
    longitude: float
    moved_in: date
    moved_out: date | None  # None: still living there

    def lived_there_on(self, day: date) -> bool:
        return self.moved_in <= day and (self.moved_out is None or day < self.moved_out)


@dataclass(frozen=True)
class Person:
    person_id: str
    sex: str  # "M" or "F"
    forenames: tuple[str, ...]
    surname: str
    maiden_name: str | None
    married_on: date | None
    date_of_birth: date
    addresses: tuple[Address, ...]  # oldest first; the last is current
    ni_number: str
    phone: str | None
    driving_licence: str | None
    passport: str | None

    def surname_on(self, day: date) -> str:
        if self.maiden_name is not None and self.married_on is not None and day < self.married_on:
            return self.maiden_name
        return self.surname

    def address_on(self, day: date) -> Address:
        for address in self.addresses:
            if address.lived_there_on(day):
                return address
        return self.addresses[0] if day < self.addresses[0].moved_in else self.addresses[-1]

    @property
    def current_address(self) -> Address:
        return self.addresses[-1]

    def age_on(self, day: date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class PopulationFactory:
    """Draws people from one Faker instance and one random stream, both seeded."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(f"{seed}:population")
        self.fake = Faker("en_GB")
        self.fake.seed_instance(seed)
        self.ids = IdentifierBook(random.Random(f"{seed}:identifiers"))

    def people(self, count: int) -> list[Person]:
        return [self.person(f"P{n:06d}") for n in range(1, count + 1)]

    def person(self, person_id: str) -> Person:
        rng = self.rng
        female = rng.random() < 0.5
        born = REFERENCE_DATE - timedelta(days=rng.randint(17 * 365, 75 * 365))
        forename, surname = self._names(female)
        forenames = (forename, self._forename(female)) if rng.random() < 0.4 else (forename,)
        maiden_name, married_on = None, None
        if female and rng.random() < 0.35 and (REFERENCE_DATE - born).days > 25 * 365:
            maiden_name, surname = surname, self.fake.last_name()
            married_on = random_date(rng, add_years(born, 20), REFERENCE_DATE - timedelta(days=365))
        addresses = self._addresses(born)
        return Person(
            person_id=person_id,
            sex="F" if female else "M",
            forenames=forenames,
            surname=surname,
            maiden_name=maiden_name,
            married_on=married_on,
            date_of_birth=born,
            addresses=addresses,
            ni_number=self.ids.ni_number(),
            phone=self._phone(addresses[-1].town),
            driving_licence=(
                self.ids.driving_licence(surname, forenames, born, female) if rng.random() < 0.7 else None
            ),
            passport=self.ids.passport() if rng.random() < 0.55 else None,
        )

    def _names(self, female: bool) -> tuple[str, str]:
        roll = self.rng.random()
        if roll < 0.25:
            return self.rng.choice(sorted(FEMALE_NICKNAMES if female else MALE_NICKNAMES)), self._surname()
        if roll < 0.33:
            groups = FEMALE_TRANSLITERATIONS if female else MALE_TRANSLITERATIONS
            return self.rng.choice(self.rng.choice(groups)), self.rng.choice(self.rng.choice(SURNAME_TRANSLITERATIONS))
        return self._forename(female), self._surname()

    def _forename(self, female: bool) -> str:
        return self.fake.first_name_female() if female else self.fake.first_name_male()

    def _surname(self) -> str:
        if self.rng.random() < 0.06:
            return f"{self.fake.last_name()}-{self.fake.last_name()}"
        return self.fake.last_name()

    def _addresses(self, born: date) -> tuple[Address, ...]:
        rng = self.rng
        adult = add_years(born, 18)
        start = adult if adult < REFERENCE_DATE else born
        moves = sorted(random_date(rng, start, REFERENCE_DATE) for _ in range(rng.choice((0, 1, 1, 2, 2, 3))))
        town = self._home_town()
        dates = [start, *moves]
        addresses = []
        for index, moved_in in enumerate(dates):
            moved_out = dates[index + 1] if index + 1 < len(dates) else None
            if moved_out == moved_in:
                continue
            if index and rng.random() < 0.3:
                town = self._home_town()
            addresses.append(self._address(town, moved_in, moved_out))
        return tuple(addresses)

    def _home_town(self) -> Town:
        # Half the population lives in a city, the rest spread over every town.
        return self.rng.choice(CITIES if self.rng.random() < 0.5 else TOWNS)

    def _address(self, town: Town, moved_in: date, moved_out: date | None) -> Address:
        rng = self.rng
        street = f"{rng.randint(1, 240)} {self.fake.last_name()} {rng.choice(_STREET_KINDS)}"
        lines = (f"Flat {rng.randint(1, 30)}", street) if rng.random() < 0.15 else (street,)
        latitude, longitude = offset(town.latitude, town.longitude, rng.uniform(0.2, 4.0), rng.uniform(0, 360))
        return Address(
            lines=lines,
            town=town,
            postcode=self.ids.postcode(town.postcode_area),
            latitude=round(latitude, 6),
            longitude=round(longitude, 6),
            moved_in=moved_in,
            moved_out=moved_out,
        )

    def _phone(self, town: Town) -> str | None:
        if self.rng.random() >= 0.75:
            return None
        first, second = (MOBILE_PREFIX, town.landline_prefix)
        if self.rng.random() >= 0.6:
            first, second = second, first
        return self.ids.phone(first) or self.ids.phone(second)


def generate_population(seed: int, count: int) -> list[Person]:
    return PopulationFactory(seed).people(count)
