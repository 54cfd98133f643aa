"""The reader processes' fork server imports the program's main script once, so a reader process started for a
file does not run it again (as the `precise` command, a second of CPU per file)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from precise_ingest.testing import ANPR_READ

# A program run as a script (as the `precise` command is), which notes each time a process imports it for
# multiprocessing, then reads three files apart.
PROGRAM = """
import asyncio, os, sys

if __name__ == "__mp_main__":
    with open(os.environ["IMPORTS_NOTED_IN"], "a") as noted:
        noted.write(f"{os.getpid()}\\n")

from precise_ingest.reader_process import ProcessReader, Task
from precise_ingest.adapters.anpr import AnprAdapter


async def main(content: bytes) -> None:
    for _ in range(3):
        reader = await ProcessReader.start(Task(AnprAdapter(), {}, 10, 0, len(content)), blocks_of(content))
        try:
            while await reader.next() is not None:
                pass
        finally:
            await reader.close()
    # named to the fork server only while it started: nothing else this program starts is told to import it
    assert "PRECISE_FORK_SERVER_MAIN_SCRIPT" not in os.environ


async def blocks_of(content):
    yield content


if __name__ == "__main__":
    asyncio.run(main(sys.stdin.buffer.read()))
"""


def test_a_programs_main_script_is_imported_once_by_the_fork_server_not_once_per_file(tmp_path: Path) -> None:
    script, noted = tmp_path / "program.py", tmp_path / "imports"
    script.write_text(PROGRAM)

    subprocess.run(
        [sys.executable, str(script)],
        input="".join(json.dumps({**ANPR_READ, "read_id": f"R{n}"}) + "\n" for n in range(25)).encode(),
        env={**os.environ, "IMPORTS_NOTED_IN": str(noted)},
        check=True,
        timeout=120,
    )

    assert len(noted.read_text().split()) == 1  # by the fork server, not by each of the three readers
