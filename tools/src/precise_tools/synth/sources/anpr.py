"""ANPR reads as CSV and as JSON lines: one field list, two encodings (docs/formats/anpr-reads.md).

Reads stream straight to disk. In the default ``split`` layout each of two back offices exports its own
cameras' reads: sites at or north of 53 degrees N go to ``reads.jsonl``, the rest to ``reads.csv``.
"""

import csv
import json
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path

from precise_contracts.formats import ANPR_READ_FIELDS
from precise_tools.synth.patterns import Read
from precise_tools.synth.timeline import local_iso

FIELDS = ANPR_READ_FIELDS


class AnprLayout(StrEnum):
    SPLIT = "split"  # northern cameras in reads.jsonl, the rest in reads.csv
    CSV = "csv"  # every read in reads.csv
    JSONL = "jsonl"  # every read in reads.jsonl


def values(read: Read) -> tuple[str | int | float, ...]:
    camera = read.camera
    image_base = f"images/{read.time:%Y/%m/%d}/{read.read_id}"
    return (
        read.read_id,
        read.vrm,
        local_iso(read.time),
        camera.camera_id,
        camera.site_id,
        camera.site_name,
        camera.latitude,
        camera.longitude,
        read.lane,
        camera.direction,
        read.confidence,
        f"{image_base}-plate.jpg",
        f"{image_base}-overview.jpg",
    )


def write_reads(folder: Path, reads: Iterable[Read], layout: AnprLayout) -> dict[str, int]:
    """Write ``reads`` under ``folder``; return how many reads went into each file."""
    folder.mkdir(parents=True, exist_ok=True)
    counts = {"reads.csv": 0, "reads.jsonl": 0}
    with (
        (folder / "reads.csv").open("w", encoding="utf-8", newline="") as csv_file,
        (folder / "reads.jsonl").open("w", encoding="utf-8", newline="\n") as jsonl_file,
    ):
        rows = csv.writer(csv_file, lineterminator="\r\n")
        rows.writerow(FIELDS)
        for read in reads:
            as_json = layout is AnprLayout.JSONL or (layout is AnprLayout.SPLIT and read.camera.northern)
            if as_json:
                jsonl_file.write(json.dumps(dict(zip(FIELDS, values(read), strict=True))) + "\n")
                counts["reads.jsonl"] += 1
            else:
                rows.writerow(values(read))
                counts["reads.csv"] += 1
    for name, count in counts.items():
        if count == 0 and layout is not AnprLayout.SPLIT:
            (folder / name).unlink()
    return {name: count for name, count in counts.items() if (folder / name).exists()}
