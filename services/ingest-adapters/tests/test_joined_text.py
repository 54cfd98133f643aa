"""Strings joined into one text only when the text splits back into exactly them."""

from __future__ import annotations

import pytest
from precise_ingest.joined_text import joined


@pytest.mark.parametrize(
    "values", [["R1", "R2", "R3"], ["only"], [""], ["", "R2", ""]], ids=["ids", "one", "empty", "blanks"]
)
def test_values_without_the_separator_are_joined_and_split_back(values: list[str]) -> None:
    text = joined(values, "\x1f")
    assert text is not None
    assert text.split("\x1f") == values


@pytest.mark.parametrize("values", [["CUST\x1f0001", "CUST-0002"], []], ids=["separator-in-a-value", "none"])
def test_values_that_would_not_split_back_are_not_joined(values: list[str]) -> None:
    assert joined(values, "\x1f") is None
