"""Imported first by the reader processes' fork server (`reader_process`): it imports the program's main script
there, once, so that a reader process started from the server does not run it again for each file.

A process started from a fork server imports the main script of the program that started it (multiprocessing's
`spawn.prepare`) unless the server has it already. CPython's own preloading of "__main__" never received the
script's path before 3.13 (gh-126631), so every reader ran it: as the `precise` command, that is the whole
platform's command line, about a second of CPU before the reader read a byte of its file. The service process
starts the server through `ensure_running`, which names the script to it.
"""

from __future__ import annotations

import os
import threading
from multiprocessing import forkserver, process, spawn

MAIN_SCRIPT = "PRECISE_FORK_SERVER_MAIN_SCRIPT"
_starting = threading.Lock()  # one thread at a time names the script


def ensure_running() -> None:
    """Start the fork server if it is not running, naming it this process's main script (if it was started from
    one) to import. Named only while the server starts, so no other process this one starts inherits the name."""
    path = spawn.get_preparation_data("reader").get("init_main_from_path")
    with _starting:
        if path:
            os.environ[MAIN_SCRIPT] = path
        try:
            forkserver.ensure_running()
        finally:
            os.environ.pop(MAIN_SCRIPT, None)


def _import_main_script() -> None:
    path = os.environ.get(MAIN_SCRIPT)
    if not path:
        return
    # as the fork server's own preloading does: a script that starts processes as it is imported is refused
    setattr(process.current_process(), "_inheriting", True)  # noqa: B010 (a private flag multiprocessing reads)
    try:
        spawn.import_main_path(path)
    finally:
        delattr(process.current_process(), "_inheriting")


_import_main_script()
