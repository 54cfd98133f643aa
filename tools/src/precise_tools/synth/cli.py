"""`precise synth --people N --seed S --out DIR`: write a synthetic multi-source world with its ground truth."""

import shutil
import time
from pathlib import Path
from typing import Annotated

import typer

from precise_tools.synth.drop import arrange_for_ingest
from precise_tools.synth.generate import OUTPUTS, generate
from precise_tools.synth.patterns import READS_PER_PERSON
from precise_tools.synth.sources.anpr import AnprLayout

app = typer.Typer(help="Generate synthetic PNC, ANPR, IDENT1 and legacy data with ground truth.")


@app.callback(invoke_without_command=True)
def synth(
    out: Annotated[Path, typer.Option("--out", help="folder to write into (created if missing)")],
    people: Annotated[int, typer.Option("--people", min=1, help="number of true people")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="the same seed and options give byte-identical output")] = 1,
    anpr_reads: Annotated[
        int | None,
        typer.Option(
            "--anpr-reads",
            min=1,
            help=f"total ANPR reads, streamed to disk (default {READS_PER_PERSON} per person plus planted reads)",
        ),
    ] = None,
    anpr_format: Annotated[
        AnprLayout,
        typer.Option("--anpr-format", help="split: northern cameras' reads as JSON lines, the rest as CSV"),
    ] = AnprLayout.SPLIT,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="replace the output of an earlier run")] = False,
    ingest_drop: Annotated[
        Path | None,
        typer.Option("--ingest-drop", help="also hand the files to this ingest drop folder (<data_dir>/ingest-drop)"),
    ] = None,
) -> None:
    """Write the synthetic world for SEED into OUT, in the formats of docs/formats/."""
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise typer.BadParameter(f"{out} is not empty; choose a new folder or pass --overwrite", param_hint="--out")
        for name in OUTPUTS:
            target = out / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    started = time.perf_counter()
    try:
        counts = generate(out, people=people, seed=seed, anpr_reads=anpr_reads, anpr_layout=anpr_format)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--anpr-reads") from error
    for name, count in counts.items():
        typer.echo(f"{count:>10}  {out / name}")
    typer.echo(f"done in {time.perf_counter() - started:.1f}s (seed {seed}, {people} people)")
    if ingest_drop is not None:
        placed = arrange_for_ingest(out, ingest_drop)
        typer.echo(f"{len(placed):>10}  files handed to {ingest_drop} for the ingest service to take in")
