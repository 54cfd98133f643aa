"""One synthetic world, written to a folder: every source's files, their mappings, and the ground truth."""

import json
from pathlib import Path

from precise_tools.synth import truth
from precise_tools.synth.history import generate_histories
from precise_tools.synth.patterns import READS_PER_PERSON, Traffic, all_reads
from precise_tools.synth.population import generate_population
from precise_tools.synth.roads import RoadNetwork
from precise_tools.synth.sources.anpr import AnprLayout, write_reads
from precise_tools.synth.sources.ident1 import write_ident1
from precise_tools.synth.sources.legacy import copy_mappings, write_custody, write_incidents, write_intel
from precise_tools.synth.sources.pnc import write_pnc

# Everything generate() writes under its folder (so --overwrite removes exactly these).
OUTPUTS = ("pnc", "anpr", "ident1", "legacy", "mappings", "truth", "synth.json")


def generate(
    out: Path, *, people: int, seed: int, anpr_reads: int | None = None, anpr_layout: AnprLayout = AnprLayout.SPLIT
) -> dict[str, int]:
    """Write the world for ``seed`` and ``people`` under ``out``; return the record count of each file.

    ``anpr_reads`` is the total number of ANPR reads (planted included); by default READS_PER_PERSON per
    person plus the planted reads. Raises ValueError if it is fewer than the planted reads.
    """
    population = generate_population(seed, people)
    traffic = Traffic(seed, population, RoadNetwork())
    planted = traffic.plant()
    planted_reads = len(planted.reads())
    total_reads = READS_PER_PERSON * people + planted_reads if anpr_reads is None else anpr_reads
    if total_reads < planted_reads:
        raise ValueError(f"--anpr-reads must be at least {planted_reads}, the number of planted reads")
    # Planted vehicles are read only on their planted journeys, so no everyday read contradicts them.
    everyday_vehicles = traffic.everyday_vehicles(total_reads)
    histories = generate_histories(seed, population, planted.leads())

    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    persons = write_pnc(out / "pnc" / "nominals.csv", histories, seed)
    counts["pnc/nominals.csv"] = len(persons)
    ident1 = write_ident1(out / "ident1", histories, seed)
    counts["ident1/*.nist"] = len(ident1)
    (out / "legacy").mkdir(exist_ok=True)
    custody = write_custody(out / "legacy" / "custody.csv", histories, seed)
    counts["legacy/custody.csv"] = len(custody)
    intel = write_intel(out / "legacy" / "intel.dat", histories, seed)
    counts["legacy/intel.dat"] = len(intel)
    incidents = write_incidents(out / "legacy" / "incidents.json", population, seed)
    counts["legacy/incidents.json"] = len(incidents)
    copy_mappings(out / "mappings")
    everyday = traffic.everyday_reads(total_reads - planted_reads, everyday_vehicles)
    for name, count in write_reads(out / "anpr", all_reads(planted, everyday), anpr_layout).items():
        counts[f"anpr/{name}"] = count

    records = [*persons, *ident1, *custody, *intel]
    counts["truth/persons.csv"] = truth.write_persons(out / "truth" / "persons.csv", records)
    counts["truth/people.csv"] = truth.write_people(out / "truth" / "people.csv", histories)
    counts["truth/incidents.csv"] = truth.write_incidents(out / "truth" / "incidents.csv", incidents)
    vehicles = everyday_vehicles + planted.vehicles()
    counts["truth/vehicles.csv"] = truth.write_vehicles(out / "truth" / "vehicles.csv", vehicles)
    counts["truth/patterns.json"] = truth.write_patterns(out / "truth" / "patterns.json", planted)
    manifest = {"seed": seed, "people": people, "reads_per_person": READS_PER_PERSON, "files": counts}
    (out / "synth.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return counts
