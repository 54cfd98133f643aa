"""Decoding legacy exports: UTF-8 (with or without a byte order mark) or cp1252, declared or detected.

The rule is the one in docs/formats/legacy-mappings.md ("Encoding"): a leading BOM is removed whatever the
setting; `auto` means UTF-8 when there is a BOM or the bytes are valid UTF-8, cp1252 otherwise. Statistical
detection (charset-normalizer) guesses wrong on short Windows-era files (it calls a cp1252 custody export
cp850, and '£' in cp1252 cp1250), so it never chooses the encoding: it only says what a file that fits
neither encoding looks like, so the operator's error message points at the real cause.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from enum import StrEnum

import charset_normalizer


class Encoding(StrEnum):
    """The encodings a mapping may declare."""

    AUTO = "auto"
    UTF_8 = "utf-8"
    UTF_8_SIG = "utf-8-sig"
    CP1252 = "cp1252"


class UndecodableText(ValueError):
    """The bytes are not text in the declared (or any supported) encoding; the message names the offset."""


@dataclass(frozen=True)
class Decoded:
    """A file's text and how it was decoded."""

    text: str
    encoding: Encoding  # what the bytes were read as: utf-8, utf-8-sig (a BOM was present) or cp1252
    detected: bool  # True when the mapping said `auto` and the encoding was chosen from the bytes

    def encode(self, text: str) -> bytes:
        """The original bytes of a slice of `text` (both decodings are one-to-one; the BOM is not included)."""
        return text.encode("cp1252" if self.encoding is Encoding.CP1252 else "utf-8")


def decode(data: bytes, declared: Encoding) -> Decoded:
    """Decode a whole file; raise UndecodableText naming the first bad byte's offset and the likely encoding."""
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    if declared is Encoding.CP1252:
        return _decode(data, Encoding.CP1252, declared=declared, skip=bom)
    if bom or declared is not Encoding.AUTO:
        return _decode(data, Encoding.UTF_8_SIG if bom else Encoding.UTF_8, declared=declared, skip=bom)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return _decode(data, Encoding.CP1252, declared=declared)
    return _decode(data, Encoding.UTF_8, declared=declared)


def _decode(data: bytes, encoding: Encoding, *, declared: Encoding, skip: int = 0) -> Decoded:
    codec = "cp1252" if encoding is Encoding.CP1252 else "utf-8"
    try:
        text = data[skip:].decode(codec)
    except UnicodeDecodeError as exc:
        offset = skip + exc.start
        expected = "UTF-8 or cp1252" if declared is Encoding.AUTO else codec
        raise UndecodableText(
            f"byte {offset} (0x{data[offset]:02X}) is not valid {expected}{_looks_like(data)}"
        ) from exc
    nul = text.find("\x00")
    if nul >= 0:
        # cp1252 decodes NUL, so UTF-16 text would pass as cp1252 with a NUL between every letter.
        offset = skip + len(text[:nul].encode(codec))
        raise UndecodableText(f"byte {offset} is NUL, which no text export holds{_looks_like(data)}")
    return Decoded(text=text, encoding=encoding, detected=declared is Encoding.AUTO)


def _looks_like(data: bytes) -> str:
    best = charset_normalizer.from_bytes(data[:65536]).best()
    return f" (it looks like {best.encoding})" if best is not None else ""
