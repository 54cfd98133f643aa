import pytest

from precise_contracts.values.check_letter import CHECK_LETTERS, mod23_check_letter


def test_the_alphabet_leaves_out_the_letters_that_look_like_digits() -> None:
    assert len(CHECK_LETTERS) == 23
    assert not set("IOS") & set(CHECK_LETTERS)


@pytest.mark.parametrize(
    ("digits", "letter"),
    [
        ("0", "Z"),  # remainder 0 is Z, not A
        ("1", "A"),
        ("22", "Y"),
        ("23", "Z"),
        ("981234567", "L"),  # 981234567 = 23 * 42662372 + 11 -> 11th after Z
    ],
)
def test_remainder_indexes_the_alphabet(digits: str, letter: str) -> None:
    assert mod23_check_letter(digits) == letter


@pytest.mark.parametrize("digits", ["", "12a", "-5", "\uff11\uff12"])
def test_refuses_anything_but_ascii_digits(digits: str) -> None:
    with pytest.raises(ValueError, match="must be decimal digits"):
        mod23_check_letter(digits)
