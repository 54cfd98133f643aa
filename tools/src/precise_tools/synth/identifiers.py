"""Identifiers that pass the same checks real ones do, drawn so that no two people share one.

PNC IDs, CRO numbers and NI numbers are checked with ``precise_contracts.values``; arrest/summons numbers
carry the modulus-23 check character Bichard 7 computes (ministryofjustice/bichard7-next-core ``Asn``);
driving licence numbers follow the DVLA layout; phone numbers come only from Ofcom's ranges reserved for
TV and radio drama, so none of them rings anyone.
"""

import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from precise_contracts.values import (
    cro_check_letter,
    mod23_check_letter,
    parse_cro_number,
    parse_ni_number,
    parse_pnc_id,
    parse_postcode,
    pnc_check_letter,
)

_NI_FIRST = "ABCEGHJKLMNOPRSTWXYZ"
_NI_SECOND = "ABCEGHJKLMNPRSTWXYZ"
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
MOBILE_PREFIX = "07700 900"
_NUMBERS_PER_RANGE = 1000


@dataclass
class IdentifierBook:
    """Issues unique identifiers from one seeded random stream."""

    rng: random.Random
    _issued: set[str] = field(default_factory=set)
    _phone_pools: dict[str, list[str]] = field(default_factory=dict)

    def _unique(self, make_candidate: Callable[[], str | None]) -> str:
        while True:
            candidate = make_candidate()
            if candidate is not None and candidate not in self._issued:
                self._issued.add(candidate)
                return candidate

    def ni_number(self) -> str:
        def candidate() -> str | None:
            text = (
                self.rng.choice(_NI_FIRST)
                + self.rng.choice(_NI_SECOND)
                + f"{self.rng.randrange(1_000_000):06d}"
                + self.rng.choice("ABCD")
            )
            return _valid(parse_ni_number, text)

        return self._unique(candidate)

    def pnc_id(self, year: int) -> str:
        year2 = year % 100

        def candidate() -> str:
            serial = self.rng.randrange(1, 10_000_000)
            return f"{year2:02d}/{serial:07d}{pnc_check_letter(year2, serial)}"

        return parse_pnc_id(self._unique(candidate))

    def cro_number(self, year: int) -> str:
        year2 = year % 100

        def candidate() -> str:
            serial = self.rng.randrange(1, 1_000_000)
            return f"{serial:06d}/{year2:02d}{cro_check_letter(year2, serial)}"

        return parse_cro_number(self._unique(candidate))

    def postcode(self, area: str) -> str:
        """A format-valid postcode in ``area`` (districts 1-20); whether it exists is not checked."""

        def candidate() -> str | None:
            text = (
                f"{area}{self.rng.randint(1, 20)} {self.rng.randint(0, 9)}"
                + self.rng.choice(_INWARD_LETTERS)
                + self.rng.choice(_INWARD_LETTERS)
            )
            return _valid(parse_postcode, text)

        # Neighbours share postcodes, so postcodes are not kept unique.
        while (code := candidate()) is None:
            pass
        return code

    def passport(self) -> str:
        return self._unique(lambda: f"{self.rng.randrange(100_000_000, 1_000_000_000)}")

    def phone(self, prefix: str) -> str | None:
        """A number from the drama range ``prefix`` (e.g. ``"0121 496 0"``); None once it is used up."""
        pool = self._phone_pools.get(prefix)
        if pool is None:
            pool = [f"{prefix}{n:03d}" for n in range(_NUMBERS_PER_RANGE)]
            self.rng.shuffle(pool)
            self._phone_pools[prefix] = pool
        return pool.pop() if pool else None

    def driving_licence(self, surname: str, forenames: tuple[str, ...], born: date, female: bool) -> str:
        """A DVLA-layout licence number: surname, birth date (month + 50 for women), initials, check."""
        letters = "".join(c for c in surname.upper() if c.isalpha())
        initials = "".join(name[0].upper() for name in forenames[:2]).ljust(2, "9")
        month = born.month + (50 if female else 0)

        def candidate() -> str:
            check = "".join(self.rng.choice(string.ascii_uppercase + string.digits) for _ in range(2))
            return (
                f"{letters[:5].ljust(5, '9')}{born.year % 100 // 10}{month:02d}{born.day:02d}"
                f"{born.year % 10}{initials}9{check}"
            )

        return self._unique(candidate)


def arrest_summons_number(arrested: date, force: str, unit: str, system: str, sequence: int) -> str:
    """The 20-character long form: YY, force, unit, system, 11-digit sequence and check character."""
    year2 = f"{arrested.year % 100:02d}"
    number = (force if force.isdigit() else "") + (system if system.isdigit() else "") + year2 + f"{sequence:011d}"
    return f"{year2}{force}{unit}{system}{sequence:011d}{mod23_check_letter(number)}"


def _valid(parse: Callable[[str], str], text: str) -> str | None:
    try:
        return parse(text)
    except ValueError:
        return None
