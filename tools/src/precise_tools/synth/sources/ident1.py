"""IDENT1 identification results as ANSI/NIST-ITL 1-2011 traditional-encoding files (docs/formats/ident1-ansi-nist.md).

One file per fingerprinted arrest: a Type-1 transaction record, a Type-2 record in our UK profile, two
binary Type-4 images and one tagged Type-14 image. The image bytes are random noise of the declared size:
the adapter stores them by hash and never decodes them.
"""

import random
import struct
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from precise_tools.synth.history import Arrest, History, SourceSystem
from precise_tools.synth.variation import Profile, observe

FS, GS, RS, US = b"\x1c", b"\x1d", b"\x1e", b"\x1f"
VERSION = "0500"  # ANSI/NIST-ITL 1-2011
TRANSACTION_TYPE = "SRE"
DOMAIN = ("GB-PRECISE", "1.0")
ORIGINATING_AGENCY = "GBIDENT1"
RESOLUTION_PPMM = "19.69"  # 500 ppi, the minimum scanning resolution for Type-4 images
_TYPE4_IMAGES = ((2, 16, 16), (7, 16, 16))  # (finger position, width, height): right and left index
_TYPE14_IMAGE = (13, 32, 16)  # plain right four fingers
_PROFILE = Profile(nickname=0.05, transliteration=0.1, typo=0.04, swap_day_month=0.04, hyphenation=0.2)

Items = tuple[str, ...]


def field_value(*subfields: Items) -> bytes:
    """Subfields separated by RS, their information items by US."""
    return RS.join(US.join(item.encode("utf-8") for item in items) for items in subfields)


def tagged_record(record_type: int, fields: list[tuple[int, bytes]]) -> bytes:
    """A tagged record: ``n.001:LEN``, then each field as ``n.nnn:value``, separated by GS, ending in FS.

    LEN counts every byte of the record, its own digits and the final FS included.
    """
    rest = b"".join(GS + f"{record_type}.{number:03d}:".encode() + value for number, value in fields) + FS
    head = f"{record_type}.001:".encode()
    length = len(head) + len(rest)
    digits = len(str(length))
    while len(str(length + digits)) != digits:
        digits += 1
    return head + str(length + digits).encode() + rest


def type4_record(idc: int, finger: int, width: int, height: int, image: bytes) -> bytes:
    """A binary Type-4 record: an 18-byte big-endian header (LEN, IDC, IMP, FGP x6, ISR, HLL, VLL, GCA)."""
    fingers = bytes([finger, 255, 255, 255, 255, 255])  # unused finger positions are 255
    header = struct.pack(">IBB6sBHHB", 18 + len(image), idc, 1, fingers, 0, width, height, 0)
    return header + image


@dataclass(frozen=True)
class Ident1Writer:
    rng: random.Random

    def transaction(self, history: History, arrest: Arrest) -> bytes:
        """The bytes of one identification result file."""
        images = self._type4_images()
        type14_idc = len(images) + 1
        contents = [("2", "00"), *(("4", f"{i:02d}") for i in range(1, type14_idc)), ("14", f"{type14_idc:02d}")]
        identified_at = arrest.arrested_at + timedelta(minutes=self.rng.randint(5, 600))
        type1 = tagged_record(
            1,
            [
                (2, field_value((VERSION,))),
                (3, field_value(("1", str(len(contents))), *contents)),
                (4, field_value((TRANSACTION_TYPE,))),
                (5, field_value((f"{identified_at:%Y%m%d}",))),
                (6, field_value(("4",))),
                (7, field_value((f"GB{arrest.town.force.code}CUSTODY",))),
                (8, field_value((ORIGINATING_AGENCY,))),
                (9, field_value((arrest.tcn or "",))),
                (11, field_value((RESOLUTION_PPMM,))),
                (12, field_value((RESOLUTION_PPMM,))),
                (13, field_value(DOMAIN)),
                (14, field_value((f"{identified_at:%Y%m%d%H%M%S}Z",))),
                (15, field_value(("003", "UTF-8"))),
            ],
        )
        type2 = self._type2(history, arrest, identified_at.date())
        return type1 + type2 + b"".join(images) + self._type14_image(type14_idc, arrest.arrested_at.date())

    def _type2(self, history: History, arrest: Arrest, identified_on: date) -> bytes:
        person = history.person
        day = arrest.arrested_at.date()
        seen = observe(person, day, _PROFILE, self.rng)
        # IDENT1 recognises someone only if their PNC record existed before this arrest.
        nominal = next((n for n in history.nominals if not n.duplicate and n.recorded < day), None)
        forenames = " ".join(seen.forenames).upper()
        fields = [(2, field_value(("00",))), (18, field_value((f"{seen.surname.upper()},{forenames}",)))]
        if person.maiden_name and seen.surname != person.maiden_name:
            fields.append((19, field_value((f"{person.maiden_name.upper()},{forenames}",))))
        if seen.date_of_birth is not None:
            fields.append((22, field_value((f"{seen.date_of_birth:%Y%m%d}",))))
        fields += [(24, field_value((person.sex,))), (301, field_value((arrest.asn,)))]
        if nominal is not None:
            fields.append((302, field_value((nominal.pnc_id,))))
            if nominal.cro_number:
                fields.append((303, field_value((nominal.cro_number,))))
        fields += [
            (304, field_value(("Y" if nominal else "N",))),
            (305, field_value((f"{identified_on:%Y%m%d}",))),
            (306, field_value((arrest.town.force.code, arrest.town.force.name))),
        ]
        return tagged_record(2, fields)

    def _type4_images(self) -> list[bytes]:
        return [
            type4_record(idc, finger, width, height, self.rng.randbytes(width * height))
            for idc, (finger, width, height) in enumerate(_TYPE4_IMAGES, start=1)
        ]

    def _type14_image(self, idc: int, captured: date) -> bytes:
        finger, width, height = _TYPE14_IMAGE
        return tagged_record(
            14,
            [
                (2, field_value((f"{idc:02d}",))),
                (3, field_value(("0",))),  # live-scan plain
                (4, field_value((ORIGINATING_AGENCY,))),
                (5, field_value((f"{captured:%Y%m%d}",))),
                (6, field_value((str(width),))),
                (7, field_value((str(height),))),
                (8, field_value(("1",))),  # scale units: pixels per inch
                (9, field_value(("500",))),
                (10, field_value(("500",))),
                (11, field_value(("NONE",))),  # uncompressed
                (12, field_value(("8",))),
                (13, field_value((str(finger),))),
                (999, self.rng.randbytes(width * height)),
            ],
        )


def write_ident1(folder: Path, histories: list[History], seed: int) -> list[tuple[SourceSystem, str, str]]:
    """One file per fingerprinted arrest; returns (source system, TCN, true person id) for each."""
    folder.mkdir(parents=True, exist_ok=True)
    writer = Ident1Writer(random.Random(f"{seed}:ident1"))
    truth = []
    for history in histories:
        for arrest in history.arrests:
            if arrest.fingerprinted and arrest.tcn:
                (folder / f"{arrest.tcn}.nist").write_bytes(writer.transaction(history, arrest))
                truth.append((SourceSystem.IDENT1, arrest.tcn, history.person.person_id))
    return truth
