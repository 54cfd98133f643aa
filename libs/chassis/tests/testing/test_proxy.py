"""The cuttable TCP proxy: bytes flow both ways through it; a cut drops every connection and refuses new
ones; a restore accepts again on the same port."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from precise_chassis.testing.proxy import TcpProxy

GREETING = b"CUSTODY SUITE READY\n"


async def _shout_back(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A server that greets, then returns every byte it reads upper-cased until the client half-closes."""
    writer.write(GREETING)
    try:
        while data := await reader.read(65536):
            writer.write(data.upper())
            await writer.drain()
    except ConnectionError:
        return
    writer.close()


@pytest.fixture
async def proxy() -> AsyncIterator[TcpProxy]:
    server = await asyncio.start_server(_shout_back, "127.0.0.1", 0)
    async with server, TcpProxy("127.0.0.1", server.sockets[0].getsockname()[1]) as proxy:
        yield proxy


async def _connect(proxy: TcpProxy) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    assert await asyncio.wait_for(reader.readexactly(len(GREETING)), 2) == GREETING
    return reader, writer


async def _dropped(reader: asyncio.StreamReader) -> bool:
    """A dropped connection reads end-of-stream at once, or a reset."""
    try:
        return await asyncio.wait_for(reader.read(), 2) == b""
    except ConnectionError:
        return True


async def test_bytes_flow_both_ways_through_the_proxy(proxy: TcpProxy) -> None:
    reader, writer = await _connect(proxy)
    statement = b"the suspect was seen on vrm ab12cde. " * 20_000  # larger than any socket buffer

    writer.write(statement)
    writer.write_eof()  # the half-close reaches the server, which then ends the reply
    reply = await asyncio.wait_for(reader.read(), 5)

    assert reply == statement.upper()
    writer.close()


async def test_a_cut_drops_open_connections_and_refuses_new_ones(proxy: TcpProxy) -> None:
    reader, writer = await _connect(proxy)
    assert proxy.open_connections == 1

    await proxy.cut()

    assert await _dropped(reader)
    assert proxy.open_connections == 0
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", proxy.port)
    writer.close()


async def test_after_a_restore_the_same_port_works_again(proxy: TcpProxy) -> None:
    port = proxy.port
    await proxy.cut()
    await proxy.restore()

    assert proxy.port == port
    reader, writer = await _connect(proxy)
    writer.write(b"back up\n")
    assert await asyncio.wait_for(reader.readline(), 2) == b"BACK UP\n"
    writer.close()


async def test_a_connection_is_closed_at_once_when_the_target_is_down() -> None:
    server = await asyncio.start_server(_shout_back, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()

    async with TcpProxy("127.0.0.1", port) as proxy:
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        assert await _dropped(reader)
        writer.close()
