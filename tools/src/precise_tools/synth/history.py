"""What police systems hold about each true person: PNC nominals, arrests, intelligence, markers, episodes.

This decides *which* sources record a person and *when*; the writers in ``sources/`` decide *how* each
source renders (and garbles) it. Every person ends up in at least two source systems.
"""

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from precise_contracts.codes.warning_markers import WarningCode
from precise_tools.synth.identifiers import IdentifierBook, arrest_summons_number
from precise_tools.synth.population import Address, Person
from precise_tools.synth.timeline import REFERENCE_DATE, add_years, random_date
from precise_tools.synth.towns import TOWNS, Force, Town


class SourceSystem(StrEnum):
    """The ``source_system`` of each source record in ``truth/persons.csv``: the label an ingest event's
    ``source.label()`` gives (``legacy/<mapping name>`` for legacy exports)."""

    PNC = "pnc"
    IDENT1 = "ident1"
    CUSTODY = "legacy/custody"
    INTEL = "legacy/intel"


# How common each PNC warning signal is among the people who have any (relative weights).
WARNING_SIGNAL_WEIGHTS: dict[WarningCode, int] = {
    WarningCode.VIOLENT: 12,
    WarningCode.DRUGS: 10,
    WarningCode.WEAPONS: 8,
    WarningCode.MENTAL_HEALTH: 8,
    WarningCode.SUICIDAL: 6,
    WarningCode.ALLEGES: 4,
    WarningCode.FIREARMS: 3,
    WarningCode.AILMENT: 3,
    WarningCode.SEXUAL_OFFENCES: 2,
    WarningCode.ESCAPER: 2,
    WarningCode.CONTAGIOUS: 2,
    WarningCode.EXPLOSIVES: 1,
    WarningCode.IMPERSONATES: 1,
    WarningCode.IMPERSONATES_FEMALE: 1,
    WarningCode.IMPERSONATES_MALE: 1,
    WarningCode.IMPERSONATES_POLICE: 1,
}
# Markers that put a record in MoPI group 2 (review every 10 years rather than 6).
_SERIOUS = frozenset(
    (
        WarningCode.VIOLENT,
        WarningCode.WEAPONS,
        WarningCode.FIREARMS,
        WarningCode.EXPLOSIVES,
        WarningCode.SEXUAL_OFFENCES,
    )
)
WANTED_FOR = (
    "Burglary dwelling",
    "Assault occasioning actual bodily harm",
    "Failed to appear at court (bail warrant)",
    "Theft from a motor vehicle",
    "Possession with intent to supply class A drugs",
    "Breach of a non-molestation order",
)
MISSING_RISKS = ("VERY-LOW", "LOW", "MEDIUM", "HIGH")
# IDENT1 results are exported as ANSI/NIST-ITL 1-2011 transactions, so only arrests since then have one.
IDENT1_FROM = date(2012, 1, 1)


@dataclass(frozen=True)
class WarningSignal:
    code: WarningCode
    on: date


@dataclass(frozen=True)
class Wanted:
    start: date
    end: date | None  # None: still wanted
    force: Force  # the force that circulated the person
    offence: str


@dataclass(frozen=True)
class Missing:
    start: date
    end: date | None  # None: still missing
    risk: str  # one of MISSING_RISKS


@dataclass(frozen=True)
class Nominal:
    """One PNC nominal record; a few people have a second, duplicate one with another PNC ID."""

    record_id: str
    pnc_id: str
    cro_number: str | None
    recorded: date
    review: date
    duplicate: bool


@dataclass(frozen=True)
class Arrest:
    custody_ref: str
    asn: str
    arrested_at: datetime
    town: Town
    fingerprinted: bool  # and so sent to IDENT1
    tcn: str | None  # the IDENT1 transaction control number, if fingerprinted


@dataclass(frozen=True)
class IntelReport:
    ref: str
    recorded: date
    grading: str  # 5x5x5 as the old system stored it: source A-E, intelligence 1-5, handling 1-5
    text: str
    vrm: str | None


@dataclass(frozen=True)
class Lead:
    """A vehicle a person is known to drive on a planted pattern, for intelligence to mention."""

    vrm: str
    text: str


@dataclass(frozen=True)
class History:
    person: Person
    nominals: tuple[Nominal, ...]
    arrests: tuple[Arrest, ...]
    intel: tuple[IntelReport, ...]
    warnings: tuple[WarningSignal, ...]
    episodes: tuple[Wanted | Missing, ...]

    def source_systems(self) -> list[SourceSystem]:
        present = {
            SourceSystem.PNC: bool(self.nominals),
            SourceSystem.CUSTODY: bool(self.arrests),
            SourceSystem.IDENT1: any(a.fingerprinted for a in self.arrests),
            SourceSystem.INTEL: bool(self.intel),
        }
        return [system for system, yes in present.items() if yes]


_INTEL_TEXTS = (
    "Subject seen in company of known drug users near {street}, {town}.",
    "Information received that subject is storing stolen property at {street}, {town}.",
    "Subject reported to carry a knife when in {town} town centre.",
    "Subject associating with nominals involved in shoplifting in {town}.",
    "Subject believed to be sub-letting {street}, {town} to unknown males.",
)


@dataclass
class HistoryFactory:
    rng: random.Random
    ids: IdentifierBook
    _counters: dict[str, int] = field(default_factory=dict)

    def _next(self, name: str) -> int:
        self._counters[name] = self._counters.get(name, 0) + 1
        return self._counters[name]

    def history(self, person: Person, lead: Lead | None) -> History:
        rng = self.rng
        has_pnc = lead is not None or rng.random() < 0.75
        arrest_count = rng.choices((0, 1, 2, 3), (25, 40, 25, 10) if has_pnc else (50, 50, 0, 0))[0]
        arrests = [self._arrest(person, fingerprint_chance=0.85) for _ in range(arrest_count)]
        intel = [self._intel(person) for _ in range(rng.choices((0, 1, 2), (60, 30, 10))[0])]
        if lead is not None:
            intel.append(self._intel(person, lead))
        warnings = self._warnings(person, has_pnc, lead is not None)
        nominals = self._nominals(person, arrests, warnings) if has_pnc else []
        while len(History(person, tuple(nominals), tuple(arrests), tuple(intel), (), ()).source_systems()) < 2:
            if not intel:
                intel.append(self._intel(person))
            else:
                arrests.append(self._arrest(person, fingerprint_chance=1.0, earliest=IDENT1_FROM))
        arrests.sort(key=lambda a: a.arrested_at)
        intel.sort(key=lambda r: r.recorded)
        return History(
            person=person,
            nominals=tuple(nominals),
            arrests=tuple(arrests),
            intel=tuple(intel),
            warnings=tuple(warnings),
            episodes=self._episodes(person) if has_pnc else (),
        )

    def _adult_day(self, person: Person, earliest: date | None = None) -> date:
        """A day since the person turned 16, more likely recent than long ago (as police records are)."""
        start = max(add_years(person.date_of_birth, 16), earliest or date.min)
        span = (REFERENCE_DATE - timedelta(days=1) - start).days
        return start + timedelta(days=round(self.rng.triangular(0, max(0, span), max(0, span))))

    def _arrest(self, person: Person, fingerprint_chance: float, earliest: date | None = None) -> Arrest:
        rng = self.rng
        day = self._adult_day(person, earliest)
        arrested_at = datetime.combine(day, time(rng.randrange(24), rng.randrange(60)), UTC)
        town = person.address_on(day).town if rng.random() < 0.8 else rng.choice(TOWNS)
        fingerprinted = day >= IDENT1_FROM and rng.random() < fingerprint_chance
        sequence = self._next("arrest")
        return Arrest(
            custody_ref=f"{town.code}/{day.year % 100:02d}/{sequence:06d}",
            asn=arrest_summons_number(day, town.force.code, town.code[:2], "01", sequence),
            arrested_at=arrested_at,
            town=town,
            fingerprinted=fingerprinted,
            tcn=f"GB{day.year}{self._next('tcn'):08d}" if fingerprinted else None,
        )

    def _intel(self, person: Person, lead: Lead | None = None) -> IntelReport:
        rng = self.rng
        day = self._adult_day(person) if lead is None else REFERENCE_DATE - timedelta(days=rng.randint(1, 20))
        if lead is None:
            address: Address = person.address_on(day)
            text = rng.choice(_INTEL_TEXTS).format(street=address.lines[-1], town=address.town.name)
        else:
            text = lead.text
        grading = rng.choice("ABCDE") + rng.choice("12345") + rng.choices("12345", (50, 20, 10, 10, 10))[0]
        return IntelReport(f"IR{self._next('intel'):08d}", day, grading, text, lead.vrm if lead else None)

    def _warnings(self, person: Person, has_pnc: bool, drug_runner: bool) -> list[WarningSignal]:
        rng = self.rng
        codes = list(WARNING_SIGNAL_WEIGHTS)
        chosen: list[WarningCode] = []
        if has_pnc and rng.random() < 0.3:
            chosen = sorted(set(rng.choices(codes, list(WARNING_SIGNAL_WEIGHTS.values()), k=rng.randint(1, 3))))
        if drug_runner and WarningCode.DRUGS not in chosen:
            chosen.append(WarningCode.DRUGS)
        return [WarningSignal(code, self._adult_day(person)) for code in chosen]

    def _nominals(self, person: Person, arrests: list[Arrest], warnings: list[WarningSignal]) -> list[Nominal]:
        first_arrest = min((a.arrested_at.date() for a in arrests), default=None)
        recorded = first_arrest or self._adult_day(person)
        nominals = [self._nominal(recorded, arrests, warnings, duplicate=False)]
        if self.rng.random() < 0.03:
            later = random_date(self.rng, recorded, REFERENCE_DATE)
            nominals.append(self._nominal(later, arrests, warnings, duplicate=True))
        return nominals

    def _nominal(
        self, recorded: date, arrests: list[Arrest], warnings: list[WarningSignal], duplicate: bool
    ) -> Nominal:
        last_activity = max([recorded, *(a.arrested_at.date() for a in arrests)])
        serious = any(w.code in _SERIOUS for w in warnings)
        return Nominal(
            record_id=f"N{self._next('nominal'):08d}",
            pnc_id=self.ids.pnc_id(recorded.year),
            cro_number=self.ids.cro_number(recorded.year) if self.rng.random() < 0.6 else None,
            recorded=recorded,
            review=add_years(last_activity, 10 if serious else 6),
            duplicate=duplicate,
        )

    def _episodes(self, person: Person) -> tuple[Wanted | Missing, ...]:
        rng = self.rng
        episodes: list[Wanted | Missing] = []
        if rng.random() < 0.05:
            start = REFERENCE_DATE - timedelta(days=rng.randint(1, 180))
            end = None if rng.random() < 0.6 else min(REFERENCE_DATE, start + timedelta(days=rng.randint(1, 30)))
            episodes.append(Wanted(start, end, person.address_on(start).town.force, rng.choice(WANTED_FOR)))
        if rng.random() < 0.03:
            start = REFERENCE_DATE - timedelta(days=rng.randint(1, 730))
            end = None if rng.random() < 0.2 else min(REFERENCE_DATE, start + timedelta(days=rng.randint(1, 10)))
            episodes.append(Missing(start, end, rng.choice(MISSING_RISKS)))
        return tuple(episodes)


def generate_histories(seed: int, people: list[Person], leads: dict[str, Lead]) -> list[History]:
    factory = HistoryFactory(random.Random(f"{seed}:history"), IdentifierBook(random.Random(f"{seed}:police-ids")))
    return [factory.history(person, leads.get(person.person_id)) for person in people]
