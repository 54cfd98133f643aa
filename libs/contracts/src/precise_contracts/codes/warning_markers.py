"""Warning markers: the two-letter PNC warning signals that tell an officer how to approach a person safely.

A warning signal is recorded on a PNC nominal record (and copied by force systems) with the date it was
recorded, the report it came from and free-text details; it is reviewed like any other MoPI record.

Sources and assumptions. The PNC User Manual, which defines the signals, is not public. The codes below are
the ones named in the platform's ingest issue and briefing (FI, WE, VI, MH, SU, DR, ES, AT, CO, EX, IM, IF,
IP, AG, SX) plus IS, the generic "impersonates" signal that the Home Office's National ANPR Regulation 109
supplier specification (v2.0, April 2021, published on GOV.UK) says was added to the PNC data sent to
in-vehicle ANPR. The meanings are written from the signal names for officers reading this code; check them
against the PNC Manual before relying on them operationally. Self-harm is recorded under SU (suicidal): we
found no public source for a separate self-harm code.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class WarningCode(StrEnum):
    """PNC warning signal."""

    AILMENT = "AT"
    ALLEGES = "AG"
    CONTAGIOUS = "CO"
    DRUGS = "DR"
    ESCAPER = "ES"
    EXPLOSIVES = "EX"
    FIREARMS = "FI"
    IMPERSONATES = "IS"
    IMPERSONATES_FEMALE = "IF"
    IMPERSONATES_MALE = "IM"
    IMPERSONATES_POLICE = "IP"
    MENTAL_HEALTH = "MH"
    SEXUAL_OFFENCES = "SX"
    SUICIDAL = "SU"
    VIOLENT = "VI"
    WEAPONS = "WE"


MEANINGS: Mapping[WarningCode, str] = MappingProxyType(
    {
        WarningCode.AILMENT: (
            "Has a medical condition (for example epilepsy or diabetes) that officers must know about to keep "
            "the person safe, especially in custody."
        ),
        WarningCode.ALLEGES: (
            "Has made allegations against police officers or staff before; record contacts carefully and "
            "consider body-worn video."
        ),
        WarningCode.CONTAGIOUS: (
            "Has, or is believed to have, a contagious disease; take precautions against blood and body fluids."
        ),
        WarningCode.DRUGS: "Has used, possessed or supplied controlled drugs; may carry drugs or needles.",
        WarningCode.ESCAPER: "Has escaped, or tried to escape, from lawful custody; guard closely.",
        WarningCode.EXPLOSIVES: "Has had access to, made or used explosives.",
        WarningCode.FIREARMS: (
            "Has had access to, possessed or used a firearm (real or imitation); consider an armed response."
        ),
        WarningCode.IMPERSONATES: "Has impersonated another person, or a member of a profession.",
        WarningCode.IMPERSONATES_FEMALE: "Has impersonated a woman (used a female identity or appearance) to deceive.",
        WarningCode.IMPERSONATES_MALE: "Has impersonated a man (used a male identity or appearance) to deceive.",
        WarningCode.IMPERSONATES_POLICE: "Has impersonated a police officer or another official.",
        WarningCode.MENTAL_HEALTH: (
            "Has a mental health condition that may affect how they behave or how officers should engage; "
            "consider health partners."
        ),
        WarningCode.SEXUAL_OFFENCES: "Has committed, or is suspected of, sexual offences.",
        WarningCode.SUICIDAL: "Has threatened or attempted suicide or self-harm; protect them from harming themselves.",
        WarningCode.VIOLENT: "Has been violent, or has threatened violence, towards others.",
        WarningCode.WEAPONS: (
            "Has carried or used a weapon other than a firearm (for example a knife); search with care."
        ),
    }
)

# The enum's docstring becomes its JSON Schema description, so every published schema lists the meanings.
WarningCode.__doc__ = "PNC warning signal, by its two-letter code:\n\n" + "\n".join(
    f"- {code.value} ({code.name.lower().replace('_', ' ')}): {text}" for code, text in MEANINGS.items()
)


def meaning(code: WarningCode | str) -> str:
    """What a warning signal tells an officer, e.g. ``meaning("FI")``; raises ValueError for unknown codes."""
    return MEANINGS[parse_warning_code(code)]


def parse_warning_code(value: WarningCode | str) -> WarningCode:
    """The warning signal for a two-letter code in any case or spacing (``" fi"`` -> FIREARMS)."""
    if isinstance(value, WarningCode):
        return value
    text = "".join(value.split()).upper()
    try:
        return WarningCode(text)
    except ValueError:
        known = ", ".join(sorted(code.value for code in WarningCode))
        raise ValueError(f"warning code {value!r} is not a PNC warning signal (known: {known})") from None
