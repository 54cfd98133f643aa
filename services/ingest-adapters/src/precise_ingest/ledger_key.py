"""The ledger's key for a source record: the first 16 bytes of the SHA-256 of the source, a NUL and the record
id (UTF-8), so every key is the same short width however long the source's ids are. 128 bits make a collision
between two records of one force's sources unthinkable (below one in 10^18 at ten billion records).

SHA-256 because PostgreSQL has it built in: on PostgreSQL the ledger computes the keys of a chunk itself
(`key_in_postgres`), and the service process, whose one interpreter lock is what limits ANPR throughput,
hashes nothing per record. SQLite (embedded) has no hash function, so there Python computes the same key.
"""

from __future__ import annotations

from hashlib import sha256

from sqlalchemy import LargeBinary, func, literal
from sqlalchemy.sql.elements import ColumnElement

KEY_BYTES = 16


def ledger_key(source: str, record_id: str) -> bytes:
    return sha256(f"{source}\x00{record_id}".encode()).digest()[:KEY_BYTES]


def key_in_postgres(source: str, record_id: ColumnElement[str]) -> ColumnElement[bytes]:
    """`ledger_key(source, record_id)` as a PostgreSQL expression over a text column or value."""
    prefix = literal(f"{source}\x00".encode(), LargeBinary)
    digest = func.sha256(prefix.op("||")(func.convert_to(record_id, "UTF8")), type_=LargeBinary)
    return func.substring(digest, 1, KEY_BYTES, type_=LargeBinary)
