"""How a source gets a person slightly wrong: the disagreements real records have.

Each source has a ``Profile`` (how often it makes each kind of mistake); ``observe`` applies it to a
true person on the day the record was made. The transformations are kept small and separate so the
tests can recognise each one in the output.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from precise_tools.synth.names import NICKNAMES, spellings
from precise_tools.synth.population import Address, Person

_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS = {
    letter: "".join(row[j] for j in (i - 1, i + 1) if 0 <= j < len(row))
    for row in _KEYBOARD_ROWS
    for i, letter in enumerate(row)
}


@dataclass(frozen=True)
class Profile:
    """The chance, per record, of each kind of disagreement with the truth."""

    nickname: float = 0.0  # a short form (Bill for William)
    transliteration: float = 0.0  # another Latin spelling (Muhammad for Mohammed)
    typo: float = 0.0  # one keying slip in the surname or forename
    swap_day_month: float = 0.0  # 04/03 for 03/04
    maiden_surname: float = 0.0  # a married woman still recorded under her maiden name
    hyphenation: float = 0.0  # Smith Jones, SmithJones or Jones for Smith-Jones
    missing_date_of_birth: float = 0.0
    old_address: float = 0.0  # an earlier address than the one lived at on the day


@dataclass(frozen=True)
class Observed:
    """A person as one record shows them."""

    forenames: tuple[str, ...]
    surname: str
    date_of_birth: date | None
    address: Address


def observe(person: Person, day: date, profile: Profile, rng: random.Random) -> Observed:
    first, *middle = person.forenames
    first = _maybe(rng, profile.nickname, first, nickname) or first
    first = _maybe(rng, profile.transliteration, first, respell) or first
    surname = person.surname_on(day)
    if person.maiden_name is not None and surname != person.maiden_name and rng.random() < profile.maiden_surname:
        surname = person.maiden_name
    surname = _maybe(rng, profile.transliteration, surname, respell) or surname
    surname = _maybe(rng, profile.hyphenation, surname, hyphenation_variant) or surname
    if rng.random() < profile.typo:
        if rng.random() < 0.5:
            surname = typo(surname, rng)
        else:
            first = typo(first, rng)
    born: date | None = person.date_of_birth
    if rng.random() < profile.missing_date_of_birth:
        born = None
    elif rng.random() < profile.swap_day_month:
        born = swap_day_month(person.date_of_birth) or born
    address = person.address_on(day)
    earlier = [a for a in person.addresses if a.moved_in < address.moved_in]
    if earlier and rng.random() < profile.old_address:
        address = rng.choice(earlier)
    return Observed((first, *middle), surname, born, address)


def nickname(name: str, rng: random.Random) -> str | None:
    """A short form of a formal forename, or None if it has none."""
    short_forms = NICKNAMES.get(name)
    return rng.choice(short_forms) if short_forms else None


def respell(name: str, rng: random.Random) -> str | None:
    """Another transliteration of ``name``, or None if it has none."""
    others = [s for s in spellings(name) if s != name]
    return rng.choice(others) if others else None


def hyphenation_variant(surname: str, rng: random.Random) -> str | None:
    """``Smith-Jones`` as ``Smith Jones``, ``SmithJones``, ``Smith`` or ``Jones``; None if not hyphenated."""
    if "-" not in surname:
        return None
    first, _, second = surname.partition("-")
    return rng.choice((f"{first} {second}", f"{first}{second.lower()}", first, second))


def swap_day_month(day: date) -> date | None:
    """The date with day and month exchanged (03/04 <-> 04/03), or None if that is not another date."""
    if day.day > 12 or day.day == day.month:
        return None
    return day.replace(month=day.day, day=day.month)


def typo(text: str, rng: random.Random) -> str:
    """One keying slip: a neighbouring key, two letters swapped, a letter dropped or doubled."""
    positions = [i for i, c in enumerate(text) if c.isalpha()]
    if len(positions) < 3:
        return text
    i = rng.choice(positions[1:])  # the first letter is rarely mistyped
    kind = rng.randrange(4)
    if kind == 0 and text[i].lower() in _NEIGHBOURS:
        neighbour = rng.choice(_NEIGHBOURS[text[i].lower()])
        return text[:i] + (neighbour.upper() if text[i].isupper() else neighbour) + text[i + 1 :]
    if kind == 1 and i + 1 < len(text) and text[i + 1].isalpha() and text[i] != text[i + 1]:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind == 2:
        return text[:i] + text[i + 1 :]
    return text[:i] + text[i] + text[i:]


def _maybe(
    rng: random.Random, chance: float, value: str, change: Callable[[str, random.Random], str | None]
) -> str | None:
    return change(value, rng) if rng.random() < chance else None
