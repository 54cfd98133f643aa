"""The event loop Precise's processes run on: uvloop where it is installed, as uvicorn chooses for
`precise run` (`loop="auto"`), else asyncio's own. Long-running tools and the benchmarks use the same loop
as the platform, so what they measure is what runs: on the ingest benchmark uvloop's cheaper I/O callbacks
are a share of a GIL-bound service process (ADR 0010)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)` on the platform's event loop."""
    try:
        import uvloop
    except ImportError:  # uvloop has no Windows build; asyncio's loop does the same work, more slowly
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)
