"""`python -m precise_contracts.topology [--check] [--root DIR]`: write the generated artefacts, or with
--check exit 1 listing the stale ones."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from precise_contracts.topology.generate import generate, stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m precise_contracts.topology", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 listing stale files instead of writing")
    parser.add_argument("--root", type=Path, default=None, help="repository root (default: found from cwd)")
    args = parser.parse_args(argv)
    root = args.root or repository_root(Path.cwd())
    if args.check:
        outdated = stale(root)
        for path in outdated:
            print(f"stale: {path}", file=sys.stderr)
        if outdated:
            print("run make topology", file=sys.stderr)
            return 1
        print("topology is current")
        return 0
    for path in generate(root):
        print(f"wrote {path}")
    return 0


def repository_root(start: Path) -> Path:
    for folder in (start.resolve(), *start.resolve().parents):
        if (folder / "libs" / "contracts").is_dir():
            return folder
    raise SystemExit(f"no Precise repository (a folder with libs/contracts) at or above {start}")


if __name__ == "__main__":
    sys.exit(main())
