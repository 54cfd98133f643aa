import re

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from precise_contracts.values import CroNumber, NiNumber, PncId, Postcode, Vrm


class Sighting(BaseModel):
    """A contract-style model: frozen, no extra fields, every value type as a field."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pnc_id: PncId
    cro_number: CroNumber
    vrm: Vrm
    postcode: Postcode
    ni_number: NiNumber


MESSY = {
    "pnc_id": "1998/1234567l",
    "cro_number": "42/98j",
    "vrm": "ab12 cde",
    "postcode": "sw1a1aa",
    "ni_number": "ab 12 34 56 c",
}
CANONICAL = {
    "pnc_id": "98/1234567L",
    "cro_number": "000042/98J",
    "vrm": "AB12CDE",
    "postcode": "SW1A 1AA",
    "ni_number": "AB123456C",
}


def test_model_normalises_input_and_round_trips_through_json() -> None:
    sighting = Sighting.model_validate(MESSY)

    assert sighting.model_dump() == CANONICAL
    assert Sighting.model_validate_json(sighting.model_dump_json()) == sighting


def test_json_schema_describes_the_canonical_form_of_each_field() -> None:
    properties = Sighting.model_json_schema()["properties"]

    for field, value in CANONICAL.items():
        schema = properties[field]
        assert schema["type"] == "string"
        assert schema["description"]
        assert re.fullmatch(schema["pattern"], value), field
        assert re.fullmatch(schema["pattern"], MESSY[field]) is None, field
        assert Sighting.model_validate({**CANONICAL, field: schema["examples"][0]})


def test_invalid_field_is_a_validation_error_naming_the_problem() -> None:
    with pytest.raises(ValidationError, match=r"pnc_id\n.*check letter A but 98/1234567 needs L"):
        Sighting.model_validate({**CANONICAL, "pnc_id": "98/1234567A"})


def test_non_string_input_is_refused_before_parsing() -> None:
    with pytest.raises(ValidationError, match="string_type"):
        Sighting.model_validate({**CANONICAL, "vrm": 1234})
