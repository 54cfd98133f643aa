"""Run every benchmark: `python -m benchmarks [name ...]`."""

from __future__ import annotations

import sys

from benchmarks import bus_throughput, ingest_throughput
from precise_chassis import eventloop

BENCHMARKS = {"bus": bus_throughput.main, "ingest": ingest_throughput.main}


def main(argv: list[str]) -> int:
    chosen = argv or list(BENCHMARKS)
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
        return 2
    for name in chosen:
        eventloop.run(BENCHMARKS[name]())  # the loop `precise run` runs on
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
