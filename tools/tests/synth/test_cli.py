"""`precise synth` on the command line: what a tester types and sees."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from precise_tools.synth.cli import app

runner = CliRunner()


def test_writes_every_source_and_lists_the_files(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--people", "40", "--seed", "9", "--out", str(tmp_path)])

    assert result.exit_code == 0, result.output
    for name in ("pnc/nominals.csv", "legacy/custody.csv", "legacy/intel.dat", "truth/persons.csv"):
        assert (tmp_path / name).is_file()
        assert str(tmp_path / name) in result.output
    assert list((tmp_path / "ident1").glob("*.nist"))
    assert sorted(p.name for p in (tmp_path / "mappings").iterdir()) == [
        "custody.yaml",
        "incidents.yaml",
        "intel.yaml",
    ]


def test_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")

    result = runner.invoke(app, ["--people", "10", "--out", str(tmp_path)])

    assert result.exit_code != 0
    assert "not empty" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_overwrite_replaces_an_earlier_run_and_nothing_else(tmp_path: Path) -> None:
    assert runner.invoke(app, ["--people", "30", "--seed", "1", "--out", str(tmp_path)]).exit_code == 0
    stale = tmp_path / "ident1" / "GB200000000000.nist"
    stale.write_bytes(b"from an earlier, larger run")
    (tmp_path / "notes.txt").write_text("keep me")

    result = runner.invoke(app, ["--people", "30", "--seed", "2", "--out", str(tmp_path), "--overwrite"])

    assert result.exit_code == 0, result.output
    assert not stale.exists()
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_anpr_format_csv_puts_every_read_in_one_csv_file(tmp_path: Path) -> None:
    args = ["--people", "20", "--anpr-reads", "2000", "--anpr-format", "csv", "--out", str(tmp_path)]

    result = runner.invoke(app, args)

    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "anpr").iterdir()) == ["reads.csv"]
    assert len((tmp_path / "anpr" / "reads.csv").read_text().splitlines()) == 2001


def test_too_few_anpr_reads_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--people", "20", "--anpr-reads", "5", "--out", str(tmp_path)])

    assert result.exit_code == 2
    assert "--anpr-reads" in result.output
