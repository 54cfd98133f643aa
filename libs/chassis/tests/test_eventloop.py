"""Benchmarks and tools run on the event loop `precise run` gets from uvicorn: uvloop, where it is installed."""

from __future__ import annotations

import asyncio

import uvloop

from precise_chassis import eventloop


async def _loop_type() -> type[asyncio.AbstractEventLoop]:
    await asyncio.sleep(0)
    return type(asyncio.get_running_loop())


def test_a_coroutine_runs_on_uvloop_and_its_result_comes_back() -> None:
    assert eventloop.run(_loop_type()) is uvloop.Loop
