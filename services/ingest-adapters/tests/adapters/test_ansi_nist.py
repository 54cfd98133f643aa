import pytest
from precise_ingest.adapters.ansi_nist import MalformedTransaction, parse_transaction

from precise_tools.synth.sources.ident1 import field_value, tagged_record

IMAGE = b"\x1c\x1d\x1e\x1f" * 8 + b"2.001:" + bytes(range(256))


def type1(*contents: tuple[str, str]) -> bytes:
    return tagged_record(1, [(2, field_value(("0500",))), (3, field_value(("1", str(len(contents))), *contents))])


def test_tagged_fields_split_into_subfields_and_items_and_image_data_is_kept_whole() -> None:
    type2 = tagged_record(
        2, [(2, field_value(("0",))), (19, field_value(("HARRIS", "BILL"), ("HARRIES", "WILLIAM"))), (999, IMAGE)]
    )
    records = parse_transaction(type1(("2", "00")) + type2)
    assert [(r.record_type, r.idc) for r in records] == [(1, None), (2, 0)]
    assert records[1].raw == type2
    assert records[1].items(19, "ascii") == [["HARRIS", "BILL"], ["HARRIES", "WILLIAM"]]
    assert records[1].fields[999] == ((IMAGE,),)


def test_fields_may_come_in_any_order_after_len_and_idc() -> None:
    type2 = tagged_record(2, [(2, field_value(("01",))), (306, field_value(("20",))), (18, field_value(("A,B",)))])
    records = parse_transaction(type1(("2", "1")) + type2)
    assert records[1].text(18, "ascii") == "A,B"
    assert records[1].idc == 1


@pytest.mark.parametrize(
    ("record", "field", "reason"),
    [
        (tagged_record(2, [(2, b"00"), (18, b"A"), (18, b"B")]), "2.018", "appears twice"),
        (tagged_record(2, [(2, b"00"), (18, b"A")]).replace(b"2.018", b"3.018"), "2.018", "sits in a Type-2"),
        (tagged_record(2, [(2, b"x")]), "2.002", "not a number"),
        (tagged_record(2, [(2, b"00")]).replace(b"2.001:", b"2.001:9"), "2.001", "does not end"),
        (b"2.001:abc\x1d2.002:00\x1c", "2.001", "not a number"),
        (tagged_record(14, [(2, b"00")]), "2.001", "does not start with its LEN field 2.001:"),
    ],
)
def test_broken_records_say_which_field_is_wrong(record: bytes, field: str, reason: str) -> None:
    with pytest.raises(MalformedTransaction, match=reason) as raised:
        parse_transaction(type1(("2", "00")) + record)
    assert raised.value.field == field


def test_a_type4_header_shorter_than_18_bytes_is_malformed() -> None:
    with pytest.raises(MalformedTransaction, match="shorter than its 18-byte header") as raised:
        parse_transaction(type1(("4", "01")) + b"\x00\x00\x00\x20\x01")
    assert raised.value.field == "4.001"
