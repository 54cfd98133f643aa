"""Which reader reads a stored file: a process of its own for a big one, a worker thread otherwise, and a worker
thread whenever no reader process can take the file."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from precise_ingest.adapters.anpr import AnprAdapter
from precise_ingest.reader_process import ProcessReader
from precise_ingest.readers import ThreadReader, open_reader
from precise_ingest.testing import ANPR_READ

CONTENT = "".join(json.dumps({**ANPR_READ, "read_id": f"R{n}"}) + "\n" for n in range(5)).encode()


async def blocks() -> AsyncIterator[bytes]:
    yield CONTENT


async def read_ids(apart: bool, adapter: AnprAdapter) -> tuple[type, list[str]]:
    reader = await open_reader(adapter, blocks(), options={}, size=2, skip=0, file_bytes=len(CONTENT), apart=apart)
    try:
        ids = []
        while (chunk := await reader.next()) is not None:
            ids.extend(chunk.record_ids)
        return type(reader), ids
    finally:
        await reader.close()


async def test_a_big_file_is_read_apart_and_a_small_one_in_a_thread() -> None:
    expected = [f"R{n}" for n in range(5)]
    assert await read_ids(True, AnprAdapter()) == (ProcessReader, expected)
    assert await read_ids(False, AnprAdapter()) == (ThreadReader, expected)


async def test_an_adapter_that_cannot_go_to_a_reader_process_reads_its_file_in_a_thread() -> None:
    class Local(AnprAdapter):  # a class inside a function cannot be pickled for another process
        pass

    assert await read_ids(True, Local()) == (ThreadReader, [f"R{n}" for n in range(5)])
