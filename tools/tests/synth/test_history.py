"""What police systems hold about each person: believable dates and the leads planted patterns need."""

from __future__ import annotations

import pytest

from precise_contracts.codes.warning_markers import WarningCode
from precise_tools.synth.history import IDENT1_FROM, History, Lead, generate_histories
from precise_tools.synth.population import generate_population

LEAD = Lead("AW18CMF", "Subject believed to be running a drug line from Birmingham to Ludlow using vehicle AW18CMF.")


@pytest.fixture(scope="module")
def histories() -> list[History]:
    people = generate_population(seed=4, count=300)
    return generate_histories(4, people, {"P000007": LEAD})


def test_only_arrests_since_ident1_results_were_exported_have_a_transaction(histories: list[History]) -> None:
    arrests = [a for h in histories for a in h.arrests]

    assert any(a.fingerprinted for a in arrests)
    assert all(a.arrested_at.date() >= IDENT1_FROM for a in arrests if a.fingerprinted)
    assert all((a.tcn is not None) == a.fingerprinted for a in arrests)


def test_records_fall_within_the_persons_adult_life(histories: list[History]) -> None:
    for history in histories:
        born = history.person.date_of_birth
        assert all(a.arrested_at.date().year - born.year >= 16 for a in history.arrests)
        assert all(n.recorded > born and n.review >= n.recorded for n in history.nominals)


def test_a_lead_gives_its_person_a_pnc_record_a_drugs_marker_and_intelligence_naming_the_vehicle(
    histories: list[History],
) -> None:
    driver = next(h for h in histories if h.person.person_id == "P000007")

    assert driver.nominals
    assert WarningCode.DRUGS in {w.code for w in driver.warnings}
    assert any(report.vrm == LEAD.vrm and report.text == LEAD.text for report in driver.intel)
