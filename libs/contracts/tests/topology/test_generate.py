from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from precise_contracts.registry import TopicRegistry
from precise_contracts.topology.__main__ import main
from precise_contracts.topology.generate import NOTICE, generate, render, stale

SEIZED_SCHEMA = Path("docs/schemas/uk.police.precise.evidence.exhibit-seized.v1.json")
EXPECTED = {
    Path("docs/asyncapi.yaml"),
    Path("docs/schemas/envelope.json"),
    SEIZED_SCHEMA,
    Path("docs/schemas/uk.police.precise.evidence.exhibit-released.v1.json"),
    Path("docs/schemas/uk.police.precise.ingest.warning-marker-raised.v1.json"),
    Path("deploy/terraform/topology.auto.tfvars.json"),
    Path("deploy/rabbitmq/definitions.json"),
    Path("deploy/helm/precise/values.generated.yaml"),
}


def test_render_gives_every_artefact_as_parseable_text(registry: TopicRegistry) -> None:
    files = render(registry)

    assert set(files) == EXPECTED
    for path, text in files.items():
        assert text.endswith("\n"), path
        assert not text.endswith("\n\n"), path
        if path.suffix == ".yaml":
            assert text.startswith(f"# {NOTICE}\n")
            yaml.safe_load(text)
        else:
            json.loads(text)
    assert json.loads(files[SEIZED_SCHEMA])["$comment"] == NOTICE


def test_the_order_routes_are_declared_in_changes_nothing(registry: TopicRegistry) -> None:
    shuffled = replace(registry, topics=registry.topics[::-1], routes=registry.routes[::-1])

    assert render(shuffled) == render(registry)


def test_generate_writes_what_stale_then_accepts(tmp_path: Path, registry: TopicRegistry) -> None:
    assert set(stale(tmp_path, registry)) == EXPECTED

    written = generate(tmp_path, registry)

    assert set(written) == EXPECTED
    assert stale(tmp_path, registry) == []
    assert generate(tmp_path, registry) == []  # nothing left to change


def test_a_hand_edit_is_stale(tmp_path: Path, registry: TopicRegistry) -> None:
    generate(tmp_path, registry)
    definitions = tmp_path / "deploy/rabbitmq/definitions.json"
    definitions.write_text(definitions.read_text().replace("quorum", "classic"))

    assert stale(tmp_path, registry) == [Path("deploy/rabbitmq/definitions.json")]


def test_the_schema_of_a_retired_event_type_is_stale_then_removed(tmp_path: Path, registry: TopicRegistry) -> None:
    generate(tmp_path, registry)
    retired = replace(registry, routes=tuple(r for r in registry.routes if r.event.__name__ != "ExhibitSeized"))

    assert SEIZED_SCHEMA in stale(tmp_path, retired)
    assert SEIZED_SCHEMA in generate(tmp_path, retired)
    assert not (tmp_path / SEIZED_SCHEMA).exists()
    assert stale(tmp_path, retired) == []


def test_check_exits_1_naming_stale_files_and_0_once_generated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--check", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "stale: docs/asyncapi.yaml" in err
    assert "run make topology" in err

    assert main(["--root", str(tmp_path)]) == 0
    assert "wrote docs/asyncapi.yaml" in capsys.readouterr().out
    assert main(["--check", "--root", str(tmp_path)]) == 0
