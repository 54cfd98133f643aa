"""No input makes an adapter fail other than by its contract: each record is accepted or rejected with a
reason, or the whole file is refused as unreadable. Random bytes and damaged real files, every adapter."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from precise_ingest.adapters.mappings import shipped_mappings
from precise_ingest.adapters.port import Chunk, FileUnreadable, Rejected
from precise_ingest.adapters.registry import adapter_for
from precise_ingest.chunks import chunks_of
from precise_ingest.fingerprint import Seen

from precise_tools.synth.generate import generate

CASES = {
    "pnc": ("pnc/nominals.csv", {}),
    "anpr": ("anpr/reads.csv", {}),
    "ident1": ("ident1", {}),
    "legacy": ("legacy/custody.csv", {"mapping": "custody"}),
}


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("world")
    generate(out, people=8, seed=5)
    found: dict[str, bytes] = {}
    for source, (relative, _options) in CASES.items():
        path = out / relative
        found[source] = (sorted(path.glob("*.nist"))[0] if path.is_dir() else path).read_bytes()
    return found


def options_for(source: str) -> dict[str, Any]:
    options = dict(CASES[source][1])
    if "mapping" in options:
        options["mapping"] = shipped_mappings()[options["mapping"]].mapping
    return options


def chunks(source: str, content: bytes) -> list[Chunk]:
    return list(chunks_of(adapter_for(source), io.BytesIO(content), options=options_for(source), size=50, skip=0))


def read_everything(source: str, content: bytes) -> None:
    try:
        read = chunks(source, content)
    except FileUnreadable as refused:
        reason = str(refused)
        read = []
    else:
        reason = "read"
    assert reason, "a refused file says why"
    for chunk in read:
        assert all(isinstance(r, Rejected) and r.reason for r in chunk.rejects)
        assert chunk.read == len(chunk.rejects) + len(chunk.record_ids) == len(chunk.rejects) + len(chunk.digests)
        publication = chunk.publish([Seen.NEW] * len(chunk.record_ids))
        assert len(publication.published) + len(publication.rejects) == len(chunk.record_ids)


@pytest.mark.parametrize("source", sorted(CASES))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(noise=st.binary(max_size=2048))
def test_random_bytes_are_rejected_or_refused_never_a_crash(source: str, noise: bytes) -> None:
    read_everything(source, noise)


@pytest.mark.parametrize("source", sorted(CASES))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_damaged_real_file_is_rejected_or_refused_never_a_crash(
    source: str, data: st.DataObject, originals: dict[str, bytes]
) -> None:
    content = bytearray(originals[source])
    for _ in range(data.draw(st.integers(1, 8), label="damages")):
        at = data.draw(st.integers(0, max(0, len(content) - 1)), label="at")
        damage = data.draw(st.sampled_from(["flip", "cut", "insert"]), label="damage")
        if damage == "flip" and content:
            content[at] ^= data.draw(st.integers(1, 255), label="bits")
        elif damage == "cut":
            del content[at : at + data.draw(st.integers(1, 64), label="length")]
        else:
            content[at:at] = data.draw(st.binary(min_size=1, max_size=16), label="inserted")
    read_everything(source, bytes(content))


def test_the_undamaged_files_are_accepted_whole(originals: dict[str, bytes]) -> None:
    for source in CASES:
        read = chunks(source, originals[source])
        assert sum(len(c.record_ids) for c in read), source
        assert [r for c in read for r in c.rejects] == [], source
