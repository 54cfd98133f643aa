"""Mapping files: the shipped ones load, and every mistake is reported with the file, key path and problem."""

from __future__ import annotations

from pathlib import Path

import pytest
from precise_ingest.adapters.mappings import (
    InvalidMapping,
    LegacyMapping,
    MappingExists,
    MappingRegistry,
    RecordKind,
    parse_mapping,
    shipped_mappings,
)

from precise_chassis.blob.local import LocalBlobStore

MINIMAL = """\
name: {name}
record: person
input: {{format: csv}}
record_id: REF
fields:
  recorded_date: {{from: RECORDED, date_format: "%d/%m/%Y"}}
  surname: {{from: SURNAME}}
"""

SYNTH_MAPPINGS = Path(__file__).parents[4] / "tools/src/precise_tools/synth/mappings"


def problems(text: str, source: str = "test.yaml") -> list[str]:
    with pytest.raises(InvalidMapping) as caught:
        parse_mapping(text, source=source)
    assert str(caught.value).startswith(f"{source}: ")
    return [str(problem) for problem in caught.value.problems]


def test_the_shipped_mappings_are_the_ones_the_synthetic_generator_writes() -> None:
    shipped = shipped_mappings()
    assert {name: stored.mapping.record for name, stored in shipped.items()} == {
        "custody": RecordKind.PERSON,
        "intel": RecordKind.INTELLIGENCE,
        "incidents": RecordKind.INCIDENT,
    }
    for name, stored in shipped.items():
        assert stored.text == (SYNTH_MAPPINGS / f"{name}.yaml").read_text(encoding="utf-8")


def test_a_minimal_mapping_takes_the_documented_defaults() -> None:
    mapping = parse_mapping(MINIMAL.format(name="niche-rms"), source="niche-rms.yaml")
    assert mapping.input.encoding == "auto"
    assert mapping.input.csv_options.delimiter == ","
    assert mapping.input.csv_options.header
    assert mapping.columns() == ["REF", "RECORDED", "SURNAME"]


def test_unknown_keys_targets_and_bad_values_are_each_named_by_their_key_path() -> None:
    found = problems(
        MINIMAL.format(name="x")
        + "  shoe_size: {from: SHOES}\n"
        + "  sex: {from: GENDER, codes: {M: M}, unknown_code: ignore}\n"
        + "  forenames: {from: FORENAMES, spilt: ' '}\n"
    )
    assert "fields.sex.unknown_code: Input should be 'reject', 'keep' or 'drop'" in found
    assert "fields.forenames.spilt: unknown key" in found


def test_targets_of_another_record_kind_and_unmapped_required_targets_are_refused() -> None:
    text = MINIMAL.format(name="x").replace("  surname: {from: SURNAME}\n", "  text: {from: TEXT}\n")
    assert problems(text) == [
        "fields.text: not a target of record person",
        "fields: record person needs surname mapped",
    ]


def test_date_targets_need_a_format_strptime_can_use_and_text_targets_refuse_one() -> None:
    text = MINIMAL.format(name="x") + "  date_of_birth: {from: DOB}\n  sex: {from: GENDER, date_format: '%Y'}\n"
    assert problems(text) == [
        "fields.date_of_birth: a date target needs date_format",
        "fields.sex.date_format: this target is text, not a date",
    ]
    bad_format = MINIMAL.format(name="x").replace('"%d/%m/%Y"', '["%d/%m/%Y", "%d/%m/%Q"]')
    assert problems(bad_format) == ["fields.recorded_date.date_format: strptime cannot use the date format '%d/%m/%Q'"]


def test_a_fixed_width_mapping_must_read_only_columns_of_its_layout() -> None:
    text = MINIMAL.format(name="x").replace(
        "{format: csv}", "{format: fixed-width, fixed_width: {columns: [{name: REF, start: 1, width: 10}]}}"
    )
    assert problems(text) == [
        "fields.recorded_date.from: no column 'RECORDED' in the layout",
        "fields.surname.from: no column 'SURNAME' in the layout",
    ]


def test_yaml_guesses_duplicate_keys_and_a_misnamed_file_are_explained() -> None:
    unquoted = MINIMAL.format(name="x") + "  sex: {from: SEX, codes: {1: M, 2: F}}\n"
    assert problems(unquoted)[0] == "fields.sex.codes: key 1: Input should be a valid string (YAML read 1: quote it)"
    twice = MINIMAL.format(name="x") + "  surname: {from: NAME}\n"
    assert problems(twice) == ["line 8, column 3: not valid YAML: key 'surname' appears twice"]
    assert problems(MINIMAL.format(name="custody"), source="mappings/intel.yaml") == [
        "name: the mapping 'custody' belongs in custody.yaml"
    ]
    assert problems(MINIMAL.format(name="Custody!"))[0].startswith("name: String should match pattern")


@pytest.fixture
def registry(tmp_path: Path) -> MappingRegistry:
    return MappingRegistry(LocalBlobStore(tmp_path, "ingest-adapters"))


async def test_added_mappings_are_listed_after_the_shipped_ones_and_survive_a_new_registry(
    tmp_path: Path, registry: MappingRegistry
) -> None:
    await registry.add(MINIMAL.format(name="niche-rms").encode())
    await registry.add(MINIMAL.format(name="storm").encode())

    reopened = MappingRegistry(LocalBlobStore(tmp_path, "ingest-adapters"))
    listed = [stored.mapping.name for stored in await reopened.all()]
    assert listed == ["custody", "incidents", "intel", "niche-rms", "storm"]
    stored = await reopened.get("storm")
    assert stored is not None
    assert not stored.shipped
    assert isinstance(stored.mapping, LegacyMapping)
    assert stored.text == MINIMAL.format(name="storm")
    assert await reopened.get("nothing") is None


async def test_a_mapping_is_never_replaced_nor_shadows_a_shipped_one(registry: MappingRegistry) -> None:
    await registry.add(MINIMAL.format(name="storm").encode())
    with pytest.raises(MappingExists):
        await registry.add(MINIMAL.format(name="storm").replace("REF", "ID").encode())
    with pytest.raises(MappingExists, match="shipped"):
        await registry.add(MINIMAL.format(name="custody").encode())
    assert [stored.mapping.name for stored in await registry.all()].count("storm") == 1
