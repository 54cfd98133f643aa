"""PNC nominal export: one CSV row per nominal record (docs/formats/pnc-nominal.md).

PNC is the cleanest source, but not clean: names are upper case, aliases hold maiden names, short forms
and other spellings, a few people carry a second date of birth with day and month swapped, and a few
have a duplicate nominal under another PNC ID, recorded later and more carelessly.
"""

import csv
import random
from datetime import date
from pathlib import Path

from precise_contracts.formats import PNC_NOMINAL_COLUMNS
from precise_tools.synth.history import History, Missing, Nominal, SourceSystem, Wanted
from precise_tools.synth.population import Address, Person
from precise_tools.synth.variation import Profile, hyphenation_variant, nickname, observe, respell, swap_day_month

HEADER = PNC_NOMINAL_COLUMNS
ENTRY_SEPARATOR = ";"
PART_SEPARATOR = "|"

_CAREFUL = Profile(typo=0.02, transliteration=0.05, hyphenation=0.1)
_CARELESS = Profile(nickname=0.3, transliteration=0.3, typo=0.4, swap_day_month=0.3, hyphenation=0.4)


def alias(surname: str, forenames: str) -> str:
    return f"{surname.upper()}, {forenames.upper()}"


def address_entry(address: Address) -> str:
    text = ", ".join((*address.lines, address.town.name))
    moved_out = address.moved_out.isoformat() if address.moved_out else ""
    return PART_SEPARATOR.join((text, address.postcode, address.moved_in.isoformat(), moved_out))


def episode_entry(episode: Wanted | Missing) -> str:
    dates = (episode.start.isoformat(), episode.end.isoformat() if episode.end else "")
    if isinstance(episode, Wanted):
        return PART_SEPARATOR.join(("WANTED", *dates, episode.force.code, episode.offence))
    return PART_SEPARATOR.join(("MISSING", *dates, episode.risk))


class PncExport:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def row(self, history: History, nominal: Nominal) -> list[str]:
        person = history.person
        full = not nominal.duplicate  # a duplicate nominal is keyed in a hurry, with few details
        seen = observe(person, nominal.recorded, _CAREFUL if full else _CARELESS, self.rng)
        warnings = sorted(history.warnings, key=lambda w: w.on) if full else []
        episodes = history.episodes if full else ()
        return [
            nominal.record_id,
            nominal.pnc_id,
            nominal.cro_number or "",
            seen.surname.upper(),
            " ".join(seen.forenames).upper(),
            ENTRY_SEPARATOR.join(self._aliases(person, seen.surname, seen.forenames)),
            ENTRY_SEPARATOR.join(d.isoformat() for d in self._dates_of_birth(person, seen.date_of_birth)),
            "U" if self.rng.random() < 0.01 else person.sex,
            ENTRY_SEPARATOR.join(address_entry(a) for a in (self._addresses(person) if full else [seen.address])),
            self._sometimes(full, person.ni_number, 0.7),
            self._sometimes(full, person.driving_licence, 0.6),
            self._sometimes(full, person.passport and f"{person.passport}{PART_SEPARATOR}GBR", 0.4),
            ENTRY_SEPARATOR.join(f"{w.code}:{w.on.isoformat()}" for w in warnings),
            ENTRY_SEPARATOR.join(episode_entry(e) for e in episodes),
            nominal.recorded.isoformat(),
            nominal.review.isoformat(),
        ]

    def _sometimes(self, full: bool, value: str | None, chance: float) -> str:
        return value if full and value and self.rng.random() < chance else ""

    def _dates_of_birth(self, person: Person, seen: date | None) -> list[date]:
        dates = [seen or person.date_of_birth]
        swapped = swap_day_month(person.date_of_birth)
        if swapped and swapped not in dates and self.rng.random() < 0.1:
            dates.append(swapped)  # a second date of birth, as PNC records keep every one given
        return dates

    def _addresses(self, person: Person) -> list[Address]:
        addresses = list(person.addresses)
        if len(addresses) > 1 and self.rng.random() < 0.3:
            addresses = addresses[1:]  # the oldest address was never known to police
        return addresses

    def _aliases(self, person: Person, surname: str, forenames: tuple[str, ...]) -> list[str]:
        rng = self.rng
        given = " ".join(forenames)
        aliases = []
        if person.maiden_name and person.maiden_name != surname:
            aliases.append(alias(person.maiden_name, given))
        for change in (nickname, respell):
            if (other := change(forenames[0], rng)) and rng.random() < 0.3:
                aliases.append(alias(surname, " ".join((other, *forenames[1:]))))
        if (other := hyphenation_variant(surname, rng)) and rng.random() < 0.3:
            aliases.append(alias(other, given))
        return aliases


def write_pnc(path: Path, histories: list[History], seed: int) -> list[tuple[SourceSystem, str, str]]:
    """Write the nominal export; return (source system, record id, true person id) for each row."""
    path.parent.mkdir(parents=True, exist_ok=True)
    export = PncExport(random.Random(f"{seed}:pnc"))
    truth = []
    with path.open("w", encoding="utf-8", newline="") as file:
        rows = csv.writer(file, lineterminator="\r\n")
        rows.writerow(HEADER)
        for history in histories:
            for nominal in history.nominals:
                rows.writerow(export.row(history, nominal))
                truth.append((SourceSystem.PNC, nominal.record_id, history.person.person_id))
    return truth
