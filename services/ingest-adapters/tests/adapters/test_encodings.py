"""Decoding legacy exports: BOM or not, UTF-8 or cp1252, declared or detected, and files that are neither."""

from __future__ import annotations

import pytest
from precise_ingest.adapters.encodings import Encoding, UndecodableText, decode

TEXT = "SURNAME,NOTES\r\nO\u2019Sullivan,Property: £20 cash; café receipt\r\n"


def test_a_utf8_file_with_a_byte_order_mark_decodes_without_it_whatever_the_setting() -> None:
    data = TEXT.encode("utf-8-sig")
    for declared in (Encoding.AUTO, Encoding.UTF_8, Encoding.UTF_8_SIG):
        decoded = decode(data, declared)
        assert decoded.text == TEXT
        assert decoded.encoding is Encoding.UTF_8_SIG
    assert decode(data, Encoding.AUTO).detected


def test_a_cp1252_file_with_pound_e_acute_and_a_curly_apostrophe_is_detected_and_decoded() -> None:
    decoded = decode(TEXT.encode("cp1252"), Encoding.AUTO)
    assert decoded.text == TEXT
    assert decoded.encoding is Encoding.CP1252
    assert "£20" in decoded.text
    assert "café" in decoded.text
    assert "O\u2019Sullivan" in decoded.text


def test_valid_utf8_without_a_bom_is_read_as_utf8_and_slices_re_encode_to_the_original_bytes() -> None:
    data = TEXT.encode("utf-8")
    decoded = decode(data, Encoding.AUTO)
    assert decoded.encoding is Encoding.UTF_8
    assert decoded.encode(decoded.text) == data


def test_a_cp1252_file_declared_utf8_fails_naming_the_first_bad_byte() -> None:
    data = TEXT.encode("cp1252")
    with pytest.raises(UndecodableText, match=r"byte 16 \(0x92\) is not valid utf-8"):
        decode(data, Encoding.UTF_8)


def test_bytes_cp1252_leaves_undefined_fail_naming_their_offset() -> None:
    with pytest.raises(UndecodableText, match=r"byte 4 \(0x81\) is not valid UTF-8 or cp1252"):
        decode(b"abc,\x81\x8d\r\n", Encoding.AUTO)


def test_a_utf16_export_is_not_mistaken_for_cp1252() -> None:
    with pytest.raises(UndecodableText, match=r"NUL.*looks like utf_16"):
        decode("SURNAME,FORENAMES\r\nSMITH,JOHN\r\n".encode("utf-16-le"), Encoding.AUTO)
