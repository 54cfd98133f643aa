"""A multipart/form-data upload read as a stream: the file part's bytes flow on (to the blob store) as they
arrive, never held whole in memory nor spooled to a temporary file, and counted against the size limit."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

MAX_FIELD_BYTES = 4096  # the form's text fields (mapping) are names, not documents
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class BadUpload(ValueError):
    """The request is not a multipart form with one file part."""


class TooLarge(Exception):
    """The file is larger than the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the file is larger than the limit of {limit} bytes")
        self.limit = limit


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    name: str = ""
    filename: str | None = None
    data: bytearray = field(default_factory=bytearray)


class MultipartFile:
    """Parses the request body as it streams in; `file_chunks()` yields the one file part's bytes.

    Text fields anywhere in the form land in `fields` once the body has been read to its end.
    """

    def __init__(self, content_type: str, body: AsyncIterator[bytes], *, limit: int) -> None:
        _, params = parse_options_header(content_type)
        boundary = params.get(b"boundary")
        if not content_type.lower().startswith("multipart/form-data") or not boundary:
            raise BadUpload("send the file as multipart/form-data, in a part named 'file'")
        self._body = body
        self._limit = limit
        self.filename: str | None = None
        self.fields: dict[str, str] = {}
        self._files = 0
        self._size = 0
        self._pending: deque[bytes] = deque()
        self._part = _Part()
        self._header_name = b""
        self._header_value = b""
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value_data,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._data,
                "on_part_end": self._end,
            },
        )
        self._ended = False

    async def start(self) -> None:
        """Read until the file part begins; BadUpload if the body ends without one."""
        while self._files == 0 and not self._ended:
            await self._feed()
        if self._files == 0:
            raise BadUpload("the form has no file part: send the file in a part named 'file'")

    async def file_chunks(self) -> AsyncIterator[bytes]:
        while True:
            while self._pending:
                yield self._pending.popleft()
            if self._ended:
                return
            await self._feed()

    async def _feed(self) -> None:
        try:
            chunk = await anext(self._body)
        except StopAsyncIteration:
            try:
                self._parser.finalize()
            except FormParserError as exc:
                raise BadUpload(f"the multipart body is malformed: {exc}") from exc
            self._ended = True
            return
        try:
            self._parser.write(chunk)
        except FormParserError as exc:
            raise BadUpload(f"the multipart body is malformed: {exc}") from exc

    def _begin(self) -> None:
        self._part = _Part()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._part.headers[self._header_name.lower()] = self._header_value
        self._header_name, self._header_value = b"", b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._part.headers.get(b"content-disposition", b""))
        self._part.name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in options:
            self._files += 1
            if self._files > 1:
                raise BadUpload("send one file per upload")
            self._part.filename = options[b"filename"].decode("utf-8", "replace")
            if _CONTROL.search(self._part.filename):  # a NUL cannot even be stored
                raise BadUpload(f"the file name {self._part.filename!r} holds a control character")
            self.filename = self._part.filename

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._part.filename is None:
            if len(self._part.data) + end - start > MAX_FIELD_BYTES:
                raise BadUpload(f"form field {self._part.name!r} is longer than {MAX_FIELD_BYTES} bytes")
            self._part.data += data[start:end]
            return
        self._size += end - start
        if self._size > self._limit:
            raise TooLarge(self._limit)
        self._pending.append(bytes(data[start:end]))

    def _end(self) -> None:
        if self._part.filename is None:
            self.fields[self._part.name] = self._part.data.decode("utf-8", "replace")
