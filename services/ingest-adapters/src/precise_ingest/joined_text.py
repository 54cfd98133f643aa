"""Many short strings sent as one text split again at the other end: one object to encode rather than thousands
(to the database's `string_to_array`, to the service process from a reader process)."""

from __future__ import annotations

from collections.abc import Sequence


def joined(values: Sequence[str], separator: str) -> str | None:
    """The values as one text, or None when one of them holds the separator (or there are none), so the text would
    not split back into exactly them."""
    text = separator.join(values)
    return text if text.count(separator) == len(values) - 1 else None
