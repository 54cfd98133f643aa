"""Hand a synthetic world to the ingest service's drop folder (`<data_dir>/ingest-drop/`), in the layout it
watches: `<source>/<file>`, and legacy exports one level deeper in a folder named after their mapping."""

import os
import shutil
from pathlib import Path

SOURCES = ("pnc", "anpr", "ident1")
LEGACY = "legacy"


def arrange_for_ingest(out: Path, drop: Path) -> list[Path]:
    """Copy the source files under `out` into `drop`; returns the files placed. Each file appears whole:
    copied beside its place under a hidden name, then renamed, so the watcher never reads half a file."""
    placed: list[Path] = []
    for source in SOURCES:
        for file in sorted((out / source).glob("*")):
            placed.append(_place(file, drop / source / file.name))
    for export in sorted((out / LEGACY).glob("*")):
        # custody.csv is described by the mapping `custody`, intel.dat by `intel`, ...
        placed.append(_place(export, drop / LEGACY / export.stem / export.name))
    return placed


def _place(file: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    shutil.copyfile(file, partial)
    os.replace(partial, target)
    return target
