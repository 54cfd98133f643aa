"""Legacy force exports, each described by a YAML mapping (docs/formats/legacy-mappings.md).

- custody.csv: a custody system's CSV, cp1252 with CRLF rows and newlines inside quoted fields, local
  risk-flag codes, UK-style dates, identifiers typed in whatever form the officer used.
- intel.dat: an old intelligence system's fixed-width export, upper case and truncated, graded 5x5x5.
- incidents.json: a command-and-control system's JSON, UTF-8 with a byte order mark.

The mapping files that describe them are copied from ``precise_tools/synth/mappings/``.
"""

import csv
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from importlib.resources import files
from pathlib import Path

from precise_contracts.codes.warning_markers import WarningCode
from precise_tools.synth.history import Arrest, History, IntelReport, SourceSystem
from precise_tools.synth.population import Address, Person
from precise_tools.synth.timeline import LONDON, REFERENCE_DATE, add_years, random_date
from precise_tools.synth.variation import Profile, observe

MAPPINGS = ("custody.yaml", "intel.yaml", "incidents.yaml")

CUSTODY_HEADER = (
    "CUSTODY_REF",
    "ASN",
    "ARREST_DATE",
    "SURNAME",
    "FORENAMES",
    "DOB",
    "GENDER",
    "ADDRESS",
    "POSTCODE",
    "TEL",
    "NINO",
    "PNC_NO",
    "RISK_FLAGS",
    "NOTES",
)
# The custody system's own codes for PNC warning signals (translated back by custody.yaml).
CUSTODY_RISK_CODES: dict[WarningCode, str] = {
    WarningCode.VIOLENT: "VIOL",
    WarningCode.WEAPONS: "WEAP",
    WarningCode.FIREARMS: "FIRE",
    WarningCode.MENTAL_HEALTH: "MENT",
    WarningCode.SUICIDAL: "SUIC",
    WarningCode.DRUGS: "DRUG",
    WarningCode.ESCAPER: "ESC",
    WarningCode.AILMENT: "AIL",
    WarningCode.CONTAGIOUS: "CONT",
    WarningCode.EXPLOSIVES: "EXPL",
    WarningCode.IMPERSONATES: "IMP",
    WarningCode.IMPERSONATES_FEMALE: "IMPF",
    WarningCode.IMPERSONATES_MALE: "IMPM",
    WarningCode.IMPERSONATES_POLICE: "IMPP",
    WarningCode.ALLEGES: "ALLG",
    WarningCode.SEXUAL_OFFENCES: "SEX",
}
_CUSTODY_NOTES = (
    "",
    "",
    "",
    'Detained person states "no fixed abode"; gave the address of a friend.',
    "Requested solicitor.\nDuty solicitor informed, attended 02:40.",
    "Property: £20 cash, mobile phone, keys.",
    "Complained of chest pain; FME called.\nSeen and fit to detain.",
)
_CUSTODY = Profile(
    nickname=0.3,
    transliteration=0.3,
    typo=0.06,
    swap_day_month=0.1,
    maiden_surname=0.2,
    hyphenation=0.3,
    missing_date_of_birth=0.03,
    old_address=0.15,
)

# Fixed-width layout of intel.dat: (field name, first column counting from 1, width). intel.yaml agrees.
INTEL_LAYOUT = (
    ("REF", 1, 10),
    ("RECORDED", 11, 8),
    ("SURNAME", 19, 20),
    ("FORENAME", 39, 15),
    ("DOB", 54, 8),
    ("SEX", 62, 1),
    ("ADDRESS", 63, 40),
    ("POSTCODE", 103, 8),
    ("SOURCE_EVAL", 111, 1),
    ("INTEL_EVAL", 112, 1),
    ("HANDLING", 113, 1),
    ("VRM", 114, 8),
    ("TEXT", 122, 200),
)
_INTEL = Profile(
    nickname=0.3,
    transliteration=0.4,
    typo=0.08,
    swap_day_month=0.08,
    maiden_surname=0.3,
    hyphenation=0.4,
    missing_date_of_birth=0.15,
    old_address=0.25,
)

# Incident types as the command-and-control system codes them, with a typical summary.
INCIDENT_TYPES = {
    "DOM": "Domestic assault reported by a neighbour; suspect had left before officers arrived.",
    "ASB": "Neighbours report loud music and shouting late at night.",
    "BURG": "Rear door forced while the occupants were out; jewellery and a laptop taken.",
    "DRUG": "Caller reports frequent short visits to the address by different people.",
    "VIOL": "Assault reported outside the address; victim treated for facial injuries.",
    "CONC": "Caller concerned for the welfare of the occupant, not seen for several days.",
    "THEFT": "Bicycle worth £400 stolen from the front garden.",
    "CDAM": "Front window smashed overnight.",
}

INCIDENTS_FROM = add_years(REFERENCE_DATE, -10)

Truth = list[tuple[SourceSystem, str, str]]


def _local(moment: datetime, pattern: str) -> str:
    return moment.astimezone(LONDON).strftime(pattern)


@dataclass(frozen=True)
class CustodyExport:
    rng: random.Random

    def row(self, history: History, arrest: Arrest) -> list[str]:
        rng = self.rng
        person = history.person
        day = arrest.arrested_at.date()
        seen = observe(person, day, _CUSTODY, rng)
        nominal = next((n for n in history.nominals if not n.duplicate and n.recorded < day), None)
        flags = [CUSTODY_RISK_CODES[w.code] for w in history.warnings if w.on <= day]
        return [
            arrest.custody_ref,
            arrest.asn,
            _local(arrest.arrested_at, "%d/%m/%Y %H:%M"),
            self._typed(seen.surname),
            self._typed(" ".join(seen.forenames)),
            f"{seen.date_of_birth:%d/%m/%Y}" if seen.date_of_birth else "",
            {"M": "MALE", "F": "FEMALE"}[person.sex],
            "\n".join((*seen.address.lines, seen.address.town.name)),
            seen.address.postcode,
            person.phone if person.phone and rng.random() < 0.6 else "",
            self._ni_number(person.ni_number) if rng.random() < 0.5 else "",
            self._pnc_id(nominal.pnc_id) if nominal and rng.random() < 0.6 else "",
            ", ".join(flags),
            rng.choice(_CUSTODY_NOTES),
        ]

    def _typed(self, name: str) -> str:
        """As custody staff type it: sometimes in capitals, apostrophes curled by the word processor."""
        if self.rng.random() < 0.2:
            name = name.upper()
        return name.replace("'", "\u2019") if self.rng.random() < 0.5 else name

    def _ni_number(self, ni: str) -> str:
        return f"{ni[:2]} {ni[2:4]} {ni[4:6]} {ni[6:8]} {ni[8]}" if self.rng.random() < 0.4 else ni

    def _pnc_id(self, pnc_id: str) -> str:
        """Sometimes the long form with a four-digit year and no leading zeros (``2019/12345L``)."""
        if self.rng.random() >= 0.3:
            return pnc_id
        year, rest = pnc_id.split("/")
        century = "19" if int(year) > REFERENCE_DATE.year % 100 else "20"
        return f"{century}{year}/{int(rest[:-1])}{rest[-1]}"


def write_custody(path: Path, histories: list[History], seed: int) -> Truth:
    export = CustodyExport(random.Random(f"{seed}:custody"))
    truth: Truth = []
    with path.open("w", encoding="cp1252", newline="") as file:
        rows = csv.writer(file, lineterminator="\r\n")
        rows.writerow(CUSTODY_HEADER)
        # The custody system exports detentions in the order they happened.
        detentions = sorted(
            ((arrest, history) for history in histories for arrest in history.arrests),
            key=lambda pair: (pair[0].arrested_at, pair[0].custody_ref),
        )
        for arrest, history in detentions:
            rows.writerow(export.row(history, arrest))
            truth.append((SourceSystem.CUSTODY, arrest.custody_ref, history.person.person_id))
    return truth


def intel_line(person: Person, report: IntelReport, rng: random.Random) -> str:
    seen = observe(person, report.recorded, _INTEL, rng)
    address = ", ".join(seen.address.lines)
    sex = {"M": "1", "F": "2"}[person.sex]
    values = {
        "REF": report.ref,
        "RECORDED": f"{report.recorded:%Y%m%d}",
        "SURNAME": seen.surname.upper(),
        "FORENAME": seen.forenames[0].upper(),
        "DOB": f"{seen.date_of_birth:%d%m%Y}" if seen.date_of_birth else "",
        "SEX": sex,
        "ADDRESS": address.upper(),
        "POSTCODE": seen.address.postcode,
        "SOURCE_EVAL": report.grading[0],
        "INTEL_EVAL": report.grading[1],
        "HANDLING": report.grading[2],
        "VRM": report.vrm or "",
        "TEXT": report.text,
    }
    # Each value is cut to its width, as the old system did.
    return "".join(values[name][:width].ljust(width) for name, _, width in INTEL_LAYOUT)


def write_intel(path: Path, histories: list[History], seed: int) -> Truth:
    rng = random.Random(f"{seed}:intel")
    truth: Truth = []
    with path.open("w", encoding="cp1252", newline="\n") as file:
        for history in histories:
            for report in history.intel:
                file.write(intel_line(history.person, report, rng) + "\n")
                truth.append((SourceSystem.INTEL, report.ref, history.person.person_id))
    return truth


def _incident(ref: str, kind: str, occurred: datetime, opened: datetime, address: Address) -> dict[str, object]:
    return {
        "ref": ref,
        "type": kind,
        "occurred": _local(occurred, "%Y-%m-%d %H:%M"),
        "opened": _local(opened, "%Y-%m-%d %H:%M"),
        "location": {
            "premises": ", ".join(address.lines),
            "town": address.town.name,
            "postcode": address.postcode,
            "lat": address.latitude,
            "lon": address.longitude,
        },
        "summary": INCIDENT_TYPES[kind],
    }


def write_incidents(path: Path, people: list[Person], seed: int) -> list[tuple[str, str]]:
    """Incidents at people's addresses; returns (incident ref, person who lived there) for each."""
    rng = random.Random(f"{seed}:incidents")
    incidents: list[dict[str, object]] = []
    truth: list[tuple[str, str]] = []
    for person in people:
        for _ in range(rng.choices((0, 1, 2), (65, 27, 8))[0]):
            # The command-and-control system keeps ten years of incidents.
            recent = [a for a in person.addresses if a.moved_out is None or a.moved_out > INCIDENTS_FROM]
            address = rng.choice(recent)
            start = max(address.moved_in, INCIDENTS_FROM)
            day = random_date(rng, start, (address.moved_out or REFERENCE_DATE) - timedelta(days=1))
            occurred = datetime.combine(day, time(rng.randrange(24), rng.randrange(60)), UTC)
            opened = occurred + timedelta(minutes=rng.choice((2, 5, 15, 40, 180, 900)))  # reported later
            ref = f"CAD-{day.year}-{len(incidents) + 1:06d}"
            incidents.append(_incident(ref, rng.choice(sorted(INCIDENT_TYPES)), occurred, opened, address))
            truth.append((ref, person.person_id))
    export = {"system": "LEGACY-INCIDENTS", "created": "2024-04-08T06:00:00+01:00"}
    document = {"export": export, "incidents": incidents}
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8-sig")
    return truth


def copy_mappings(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    source = files("precise_tools.synth") / "mappings"
    for name in MAPPINGS:
        (folder / name).write_bytes((source / name).read_bytes())
