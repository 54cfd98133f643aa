"""A chunk's new records as PostgreSQL COPY text for the ledger (ADR 0013).

A chunk of new records enters the ledger by COPY rather than by INSERT ... SELECT: PostgreSQL then inserts
rows a page at a time and computes nothing per row, about half the database time per record (measured on
10,000-record chunks against a 400,000-row ledger: 67 -> 33 ms). So the keys are computed here
(`ledger_key`), the rows are in key order (each lands on an index page next to the last one's, and two batches
entering the same records lock them in the same order), and both times are the text `now`, which PostgreSQL
reads as its transaction's start without parsing a date.
"""

from __future__ import annotations

from collections.abc import Mapping

from precise_ingest.ledger_key import ledger_key

COLUMNS = ("record_key", "source", "record_id", "content_hash", "last_batch_id", "first_seen_at", "changed_at")
# what COPY's text format gives a meaning to inside a value
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_SPECIAL = ("\\", "\t", "\n", "\r")


def ledger_rows(source: str, records: Mapping[str, str], batch_id: str) -> bytes:
    """One COPY text line per record (id -> content hash), in the order of their ledger keys."""
    keys = [ledger_key(source, record_id).hex() for record_id in records]
    values = "".join([source, *records, *records.values(), batch_id])
    if any(special in values for special in _SPECIAL):  # nearly never: ids and sources are codes
        records = {record_id.translate(_ESCAPES): digest.translate(_ESCAPES) for record_id, digest in records.items()}
        source, batch_id = source.translate(_ESCAPES), batch_id.translate(_ESCAPES)
    # a bytea in hex ("\x..."), its backslash escaped for the text format; each row then ends in the batch's
    # text, so the rows are sorted by key (their first column) as whole strings
    after = f"\t{batch_id}\tnow\tnow\n\\\\x"
    rows = sorted(map(f"\t{source}\t".join, zip(keys, map("\t".join, records.items()), strict=True)))
    return ("\\\\x" + after.join(rows) + after[: -len("\\\\x")]).encode()
