"""The COPY text a chunk's new records enter the ledger by: PostgreSQL must read back exactly the records,
keys and order the ledger expects, whatever the ids hold."""

from __future__ import annotations

from precise_ingest.ledger_copy import COLUMNS, ledger_rows
from precise_ingest.ledger_key import ledger_key


def _unescaped(value: str) -> str:
    """What PostgreSQL's COPY text format reads a value as (the escapes `ledger_rows` may write)."""
    out, chars = [], iter(value)
    for char in chars:
        out.append({"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}[next(chars)] if char == "\\" else char)
    return "".join(out)


def _read_back(rows: bytes) -> list[dict[str, str]]:
    lines = rows.decode().split("\n")
    assert lines[-1] == ""  # every row ends in a newline
    return [dict(zip(COLUMNS, map(_unescaped, line.split("\t")), strict=True)) for line in lines[:-1]]


def test_each_record_is_one_row_keyed_as_the_ledger_keys_it_in_key_order() -> None:
    records = {f"read-{n}": f"{n:064x}" for n in range(50)}
    rows = _read_back(ledger_rows("anpr", records, "b" * 32))

    assert [row["record_key"] for row in rows] == sorted(f"\\x{ledger_key('anpr', rid).hex()}" for rid in records)
    assert {row["record_id"]: row["content_hash"] for row in rows} == records
    assert {(row["source"], row["last_batch_id"], row["first_seen_at"], row["changed_at"]) for row in rows} == {
        ("anpr", "b" * 32, "now", "now")
    }
    for row in rows:
        assert row["record_key"] == f"\\x{ledger_key('anpr', row['record_id']).hex()}"


def test_an_id_holding_a_tab_a_newline_or_a_backslash_reads_back_as_it_was() -> None:
    records = {"LEG\t1": "a" * 64, "LEG\n2\r": "b" * 64, "LEG\\3": "c" * 64, "plain": "d" * 64}
    rows = _read_back(ledger_rows("legacy/custody", records, "1"))

    assert {row["record_id"]: row["content_hash"] for row in rows} == records
    assert all(row["record_key"] == f"\\x{ledger_key('legacy/custody', row['record_id']).hex()}" for row in rows)
