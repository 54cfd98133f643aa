import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from precise_contracts.envelope import Envelope, Event
from precise_contracts.events.ingest.biometric import BiometricIdentified

Carry = Callable[[Event], tuple[Envelope, Event]]

RESULT: dict[str, Any] = {
    "source": {
        "system": "ident1",
        "record_id": "TCN-2024-000042",
        "recorded_on": "2024-03-01",
        "content_hash": hashlib.sha256(b"TCN-2024-000042").hexdigest(),
    },
    "asn": "11/01ZD/01/410780J",
    "pnc_id": "98/1234567L",
    "cro_number": "123456/98E",
    "identified": True,
    "identified_on": "2024-03-01",
    "force": {"code": "01", "name": "Metropolitan Police Service"},
    "images": [
        {"key": "ident1/TCN-2024-000042/type-4-01.bin", "sha256": hashlib.sha256(b"type-4").hexdigest()},
        {"key": "ident1/TCN-2024-000042/type-14-01.bin", "sha256": hashlib.sha256(b"type-14").hexdigest()},
    ],
}


def result(**changes: Any) -> BiometricIdentified:
    return BiometricIdentified.model_validate({**RESULT, **changes})


def test_an_identification_crosses_the_bus_unchanged(carry: Carry) -> None:
    sent = result()

    envelope, received = carry(sent)

    assert received == sent
    assert envelope.type == "uk.police.precise.ingest.biometric-identified.v1"
    assert envelope.subject == "ident1:TCN-2024-000042"


def test_the_asn_arrives_in_its_canonical_form() -> None:
    assert result().asn == "1101ZD0100000410780J"


def test_a_bad_asn_check_letter_is_refused() -> None:
    with pytest.raises(ValidationError, match="arrest summons number '1101ZD0100000448754J' has check letter J"):
        result(asn="1101ZD0100000448754J")


def test_an_identified_result_names_the_person() -> None:
    with pytest.raises(ValidationError, match="an identified result names the person"):
        result(pnc_id=None, cro_number=None)
    assert result(pnc_id=None).cro_number == "123456/98E"


def test_a_search_with_no_match_needs_no_identifiers() -> None:
    no_match = result(identified=False, pnc_id=None, cro_number=None, images=[])

    assert not no_match.identified
    assert no_match.images == ()


def test_a_bad_cro_number_is_refused() -> None:
    with pytest.raises(ValidationError, match="CRO number '123456/98A' has check letter A"):
        result(cro_number="123456/98A")
