"""Legacy exports are read correctly through their own mapping files (docs/formats/legacy-mappings.md)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from precise_contracts.codes.warning_markers import parse_warning_code
from precise_contracts.events.ingest.identifiers import parse_phone_number
from precise_contracts.events.ingest.incident import IncidentCategory
from precise_contracts.values import parse_ni_number, parse_pnc_id, parse_postcode, parse_vrm
from precise_tools.synth.sources.legacy import CUSTODY_RISK_CODES, INTEL_LAYOUT, MAPPINGS

DOC = Path(__file__).parents[4] / "docs" / "formats" / "legacy-mappings.md"
PACKAGED = Path(__file__).parents[3] / "src" / "precise_tools" / "synth" / "mappings"


def mapping(world: Path, name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((world / "mappings" / f"{name}.yaml").read_text())
    return loaded


def translate(spec: dict[str, Any], raw: str) -> list[str]:
    """A field spec's split, take and codes, as the document orders them (unknown codes fail the test)."""
    values = [part.strip() for part in raw.split(spec["split"])] if "split" in spec else [raw.strip()]
    values = [v for v in values if v]
    take = spec.get("take", "all")
    values = {"all": values, "first": values[:1], "last": values[-1:], "all-but-last": values[:-1]}[take]
    if "codes" in spec:
        values = [str(spec["codes"][v]) for v in values]
    return [v for v in values if v]


def test_the_mappings_written_are_the_packaged_ones_and_the_documented_ones(world: Path) -> None:
    doc = DOC.read_text()
    for name in MAPPINGS:
        packaged = (PACKAGED / name).read_text()
        assert (world / "mappings" / name).read_text() == packaged
        assert f"```yaml\n{packaged}```" in doc
        loaded = yaml.safe_load(packaged)
        assert f"{loaded['name']}.yaml" == name
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", loaded["name"])


def test_custody_csv_is_cp1252_with_crlf_rows_and_line_breaks_inside_quotes(
    world: Path, custody_rows: list[dict[str, str]]
) -> None:
    raw = (world / "legacy" / "custody.csv").read_bytes()

    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # the pound sign is byte A3 in cp1252
    assert b"\xa3" in raw
    assert raw.count(b"\r\n") == len(custody_rows) + 1
    assert any("\n" in row["ADDRESS"] for row in custody_rows)
    assert any("\n" in row["NOTES"] for row in custody_rows)


def test_custody_rows_read_through_the_custody_mapping(world: Path, custody_rows: list[dict[str, str]]) -> None:
    fields = mapping(world, "custody")["fields"]
    forms = {"pnc_long_year": 0, "ni_spaced": 0, "markers": 0}
    for row in custody_rows:
        datetime.strptime(row["ARREST_DATE"], fields["recorded_date"]["date_format"])
        if row["DOB"]:
            datetime.strptime(row["DOB"], fields["date_of_birth"]["date_format"])
        assert translate(fields["sex"], row["GENDER"]) in (["M"], ["F"])
        assert len(translate(fields["address.lines"], row["ADDRESS"])) >= 1
        assert len(translate(fields["address.town"], row["ADDRESS"])) == 1
        assert parse_postcode(row["POSTCODE"])
        if row["TEL"]:
            parse_phone_number(row["TEL"])
        if row["NINO"]:
            parse_ni_number(row["NINO"])
            forms["ni_spaced"] += " " in row["NINO"]
        if row["PNC_NO"]:
            parse_pnc_id(row["PNC_NO"])
            forms["pnc_long_year"] += len(row["PNC_NO"].split("/")[0]) == 4
        for code in translate(fields["warning_markers"], row["RISK_FLAGS"]):
            parse_warning_code(code)
            forms["markers"] += 1
    assert all(forms.values()), forms


def test_custody_codes_translate_back_to_the_warning_codes_they_came_from(world: Path) -> None:
    codes = mapping(world, "custody")["fields"]["warning_markers"]["codes"]

    assert codes == {local: str(code) for code, local in CUSTODY_RISK_CODES.items()}


def test_the_intel_layout_in_the_mapping_is_the_one_written(world: Path) -> None:
    columns = mapping(world, "intel")["input"]["fixed_width"]["columns"]

    assert [(c["name"], c["start"], c["width"]) for c in columns] == list(INTEL_LAYOUT)


def test_intel_lines_read_through_the_intel_mapping(world: Path, intel_lines: list[str]) -> None:
    intel = mapping(world, "intel")
    fields = intel["fields"]
    columns = intel["input"]["fixed_width"]["columns"]
    width = max(c["start"] + c["width"] - 1 for c in columns)
    conditions = 0
    for line in intel_lines:
        assert len(line) == width
        value = {c["name"]: line[c["start"] - 1 : c["start"] - 1 + c["width"]].strip() for c in columns}
        datetime.strptime(value["RECORDED"], fields["recorded_date"]["date_format"])
        if value["DOB"]:
            datetime.strptime(value["DOB"], fields["subject.date_of_birth"]["date_format"])
        assert value["SURNAME"] == value["SURNAME"].upper()
        assert value["TEXT"]
        assert translate(fields["subject.sex"], value["SEX"]) in (["M"], ["F"])
        assert translate(fields["grading.source_evaluation"], value["SOURCE_EVAL"])[0] in "123"
        assert translate(fields["grading.intelligence_assessment"], value["INTEL_EVAL"])[0] in "ABCDE"
        handling = translate(fields["grading.handling_code"], value["HANDLING"])
        has_conditions = bool(translate(fields["grading.handling_conditions"], value["HANDLING"]))
        assert has_conditions == (handling == ["C"])
        conditions += has_conditions
        assert parse_postcode(value["POSTCODE"])
        if value["VRM"]:
            parse_vrm(value["VRM"])
    assert 0 < conditions < len(intel_lines)


def test_incidents_json_has_a_byte_order_mark_and_reads_through_its_mapping(world: Path, read_csv: Any) -> None:
    raw = (world / "legacy" / "incidents.json").read_bytes()
    fields = mapping(world, "incidents")["fields"]

    assert raw.startswith(b"\xef\xbb\xbf")
    incidents = json.loads(raw.decode("utf-8-sig"))["incidents"]
    categories = {c.value for c in IncidentCategory}
    for incident in incidents:
        assert translate(fields["category"], incident["type"])[0] in categories
        assert translate(fields["classification"], incident["type"])
        occurred = datetime.strptime(incident["occurred"], fields["occurred_at"]["date_format"])
        assert occurred <= datetime.strptime(incident["opened"], fields["reported_at"]["date_format"])
        assert parse_postcode(incident["location"]["postcode"])
        assert 49.8 < incident["location"]["lat"] < 60.9
    truth = read_csv(world / "truth" / "incidents.csv")
    assert [row["incident_ref"] for row in truth] == [incident["ref"] for incident in incidents]
