"""Generated identifiers pass the checks the ingest contracts apply, and are never issued twice."""

from __future__ import annotations

import random
from datetime import date

from precise_contracts.events.ingest.identifiers import parse_asn
from precise_contracts.values import parse_cro_number, parse_pnc_id
from precise_tools.synth.identifiers import IdentifierBook, arrest_summons_number


def test_pnc_ids_and_cro_numbers_carry_their_years_and_valid_check_letters() -> None:
    book = IdentifierBook(random.Random(1))
    pnc_ids = [book.pnc_id(1998) for _ in range(300)]
    cro_numbers = [book.cro_number(2019) for _ in range(300)]

    assert all(parse_pnc_id(p) == p and p.startswith("98/") for p in pnc_ids)
    assert all(parse_cro_number(c) == c and c[7:9] == "19" for c in cro_numbers)
    assert len(set(pnc_ids)) == len(pnc_ids)


def test_arrest_summons_numbers_pass_the_bichard_check() -> None:
    asn = arrest_summons_number(date(2024, 3, 18), "20", "BH", "01", 41278)

    assert asn == "2420BH0100000041278Q"
    assert parse_asn(asn) == asn
    assert parse_asn("24/20BH/01/41278Q") == asn


def test_a_drama_range_is_used_up_rather_than_reused() -> None:
    book = IdentifierBook(random.Random(2))
    numbers = [book.phone("01632 960") for _ in range(1001)]

    assert numbers[-1] is None
    issued = [n for n in numbers if n]
    assert len(set(issued)) == 1000
    assert all(n.startswith("01632 960") and len(n) == len("01632 960123") for n in issued)
