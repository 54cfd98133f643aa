"""A TCP proxy a test can cut and restore: how it takes "the broker" (or any server) down and back up
without stopping the shared server other test runs use.

    async with TcpProxy("127.0.0.1", 5672) as proxy:
        bus = RabbitMQBus(f"amqp://guest:guest@127.0.0.1:{proxy.port}/")
        await proxy.cut()      # every open connection is dropped, new ones are refused
        await proxy.restore()  # connections are accepted again, on the same port
"""

from __future__ import annotations

import asyncio
import logging
from types import TracebackType
from typing import Self

log = logging.getLogger(__name__)

_CHUNK = 64 * 1024


class TcpProxy:
    """Forwards every connection made to 127.0.0.1:`port` to the target, bytes both ways."""

    def __init__(self, target_host: str, target_port: int, *, host: str = "127.0.0.1") -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.host = host
        self._port = 0  # the first listen picks a free port; a restore listens on it again
        self._server: asyncio.Server | None = None
        self._cuts = 0  # a connection being made when a cut happens must not survive it
        self._links: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._pipes: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("the proxy is not started: use `async with TcpProxy(...)`")
        return self._port

    @property
    def open_connections(self) -> int:
        """Client connections currently forwarded."""
        return len(self._links)

    async def __aenter__(self) -> Self:
        await self.restore()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.cut()

    async def restore(self) -> None:
        """Accept connections again (a no-op when already accepting)."""
        if self._server is not None:
            return
        self._server = await asyncio.start_server(self._forward, self.host, self._port)
        self._port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Stop listening, so new connections are refused, and drop every open connection at once."""
        server, self._server = self._server, None
        self._cuts += 1
        if server is not None:
            server.close()
        for link in list(self._links):
            for writer in link:
                writer.transport.abort()  # no orderly shutdown: the peer sees the link die, as in an outage
        pipes = list(self._pipes)
        for pipe in pipes:
            pipe.cancel()
        await asyncio.gather(*pipes, return_exceptions=True)
        if server is not None:
            await server.wait_closed()

    async def _forward(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        cuts = self._cuts
        try:
            target_reader, target_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError as error:
            log.warning("proxy could not reach %s:%d: %s", self.target_host, self.target_port, error)
            client_writer.transport.abort()
            return
        link = (client_writer, target_writer)
        if self._cuts != cuts:
            for writer in link:
                writer.transport.abort()
            return
        self._links.add(link)
        pipes = [
            asyncio.create_task(_pipe(client_reader, target_writer)),
            asyncio.create_task(_pipe(target_reader, client_writer)),
        ]
        self._pipes.update(pipes)
        try:
            await asyncio.gather(*pipes, return_exceptions=True)
        finally:
            for pipe in pipes:
                pipe.cancel()  # when this handler itself is cancelled
            self._pipes.difference_update(pipes)
            self._links.discard(link)
            for writer in link:
                writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until end of stream, then pass the half-close on; a reset on either side resets the other."""
    try:
        while data := await reader.read(_CHUNK):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except ConnectionError:
        writer.transport.abort()
