"""Shared police value types: pydantic field types that validate and normalise, plus plain parse functions.

Each ``Annotated[str, ...]`` type below can be a field of a frozen contract model; its ``parse_*`` function
does the same check outside pydantic. Both raise ValueError naming the value and what is wrong.
"""

from precise_contracts.values.check_letter import mod23_check_letter
from precise_contracts.values.cro_number import CroNumber, cro_check_letter, parse_cro_number
from precise_contracts.values.ni_number import NiNumber, parse_ni_number
from precise_contracts.values.pnc_id import PncId, parse_pnc_id, pnc_check_letter
from precise_contracts.values.postcode import Postcode, inward, outward, parse_postcode
from precise_contracts.values.vrm import CanonicalVrm, Vrm, VrmFormat, parse_vrm, vrm_format

__all__ = [
    "CanonicalVrm",
    "CroNumber",
    "NiNumber",
    "PncId",
    "Postcode",
    "Vrm",
    "VrmFormat",
    "cro_check_letter",
    "inward",
    "mod23_check_letter",
    "outward",
    "parse_cro_number",
    "parse_ni_number",
    "parse_pnc_id",
    "parse_postcode",
    "parse_vrm",
    "pnc_check_letter",
    "vrm_format",
]
