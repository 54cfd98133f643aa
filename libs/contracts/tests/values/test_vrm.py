import pytest

from precise_contracts.values.vrm import VrmFormat, parse_vrm, vrm_format


@pytest.mark.parametrize(
    ("raw", "canonical", "kind"),
    [
        ("AB12CDE", "AB12CDE", VrmFormat.CURRENT),
        ("ab12 cde", "AB12CDE", VrmFormat.CURRENT),
        ("OY05 ZZZ", "OY05ZZZ", VrmFormat.CURRENT),  # O in the memory tag, Z in the random letters
        ("A123BCD", "A123BCD", VrmFormat.PREFIX),
        ("y1 abc", "Y1ABC", VrmFormat.PREFIX),
        ("Q123BCD", "Q123BCD", VrmFormat.Q_PLATE),
        ("ABC123D", "ABC123D", VrmFormat.SUFFIX),
        ("ABC 1A", "ABC1A", VrmFormat.SUFFIX),
        ("AIZ1234", "AIZ1234", VrmFormat.NORTHERN_IRELAND),
        ("BIG 123", "BIG123", VrmFormat.NORTHERN_IRELAND),
        ("IA 1", "IA1", VrmFormat.NORTHERN_IRELAND),  # pre-1966 county code only
        ("1234 AZ", "1234AZ", VrmFormat.NORTHERN_IRELAND),  # reversed sequence
        ("1ABC", "1ABC", VrmFormat.DATELESS),
        ("ABC1", "ABC1", VrmFormat.DATELESS),
        ("AB 1234", "AB1234", VrmFormat.DATELESS),
        ("A1", "A1", VrmFormat.DATELESS),
        ("9999 XY", "9999XY", VrmFormat.DATELESS),
    ],
)
def test_recognises_each_format_and_normalises(raw: str, canonical: str, kind: VrmFormat) -> None:
    assert vrm_format(raw) is kind
    assert parse_vrm(raw) == canonical


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("IA12BCD", "has the current layout, but DVLA never issues I, Q or Z in the first two letters"),
        ("AZ12BCD", "has the current layout"),
        ("AB12CQE", "or I or Q in the last three"),
        ("AB12CIE", "or I or Q in the last three"),
        ("O123BCD", "has the prefix layout, but DVLA never issues year letter I, O, U or Z"),
        ("U123BCD", "prefix layout"),
        ("A012BCD", "nor a number starting with 0"),
        ("Q012BCD", "has the q-plate layout, but DVLA never issues a number starting with 0"),
        ("ABC123Z", "has the suffix layout, but DVLA never issues year letter I, O, Q, U or Z"),
        ("ABC123I", "suffix layout"),
        ("AIZ0123", "has the northern-ireland layout"),
        ("AB0123", "has the dateless layout, but DVLA never issues a number starting with 0"),
        ("AB123CD1", "matches no UK registration format"),
        ("12345A", "matches no UK registration format"),  # 5 digits
        ("ABCD1", "matches no UK registration format"),  # 4 letters
        ("AB-12-CDE", "matches no UK registration format"),
        ("", "matches no UK registration format"),
    ],
)
def test_rejects_marks_dvla_could_not_issue(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_vrm(raw)
    with pytest.raises(ValueError, match=repr(raw)):
        vrm_format(raw)
