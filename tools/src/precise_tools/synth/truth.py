"""Ground truth beside the data: who each source record really is, and every planted ANPR pattern."""

import csv
import json
from collections.abc import Iterable
from pathlib import Path

from precise_tools.synth.history import History
from precise_tools.synth.patterns import PlantedPatterns, Vehicle


def _write_csv(path: Path, header: tuple[str, ...], rows: Iterable[Iterable[object]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\r\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def write_persons(path: Path, records: Iterable[tuple[str, str, str]]) -> int:
    """persons.csv: (source system, source record id) -> true person id, one row per source record."""
    return _write_csv(path, ("source_system", "source_record_id", "person_id"), records)


def write_people(path: Path, histories: list[History]) -> int:
    """people.csv: each true person as they really are, to score matching and risk against."""

    def row(history: History) -> tuple[str, ...]:
        person = history.person
        return (
            person.person_id,
            " ".join(person.forenames),
            person.surname,
            person.maiden_name or "",
            person.date_of_birth.isoformat(),
            person.sex,
            person.ni_number,
            ";".join(n.pnc_id for n in history.nominals),
            person.current_address.postcode,
            person.current_address.town.name,
        )

    header = (
        "person_id",
        "forenames",
        "surname",
        "maiden_name",
        "date_of_birth",
        "sex",
        "ni_number",
        "pnc_ids",
        "postcode",
        "town",
    )
    return _write_csv(path, header, (row(h) for h in histories))


def write_incidents(path: Path, incidents: list[tuple[str, str]]) -> int:
    """incidents.csv: each incident and the true person living at its address."""
    return _write_csv(path, ("incident_ref", "person_id"), incidents)


def write_vehicles(path: Path, vehicles: list[Vehicle]) -> int:
    """vehicles.csv: each vehicle's VRM, registered keeper and home town."""
    rows = ((v.vrm, v.keeper_id, v.home.name) for v in vehicles)
    return _write_csv(path, ("vrm", "keeper_person_id", "home_town"), rows)


def write_patterns(path: Path, planted: PlantedPatterns) -> int:
    """patterns.json: every planted county-lines trip set and convoy, with VRMs, read ids and times."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(planted.as_json(), indent=2) + "\n", encoding="utf-8")
    return len(planted.county_lines) + len(planted.convoys)
