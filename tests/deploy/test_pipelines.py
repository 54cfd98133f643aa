"""What a reviewer checks in azure-pipelines/ and the Dockerfile: CI runs `make test` against real PostgreSQL
and RabbitMQ and publishes its results; the release pushes the image every Helm Deployment runs and deploys
dev before an approved prod; the image ships neither the dev group nor the test-only probe, and runs as the
non-root user the chart expects."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from docker.utils.build import exclude_paths  # type: ignore[import-untyped]

REPO = Path(__file__).resolve().parents[2]
PIPELINES = REPO / "azure-pipelines"
CHART = REPO / "deploy" / "helm" / "precise"
CHART_VALUES: dict[str, Any] = yaml.safe_load((CHART / "values.yaml").read_text())


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def template_references(node: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(node, Mapping):
        if "template" in node:
            yield node
        for value in node.values():
            yield from template_references(value)
    elif isinstance(node, list):
        for item in node:
            yield from template_references(item)


def steps(job: Mapping[str, Any], folder: Path = PIPELINES) -> list[dict[str, Any]]:
    """A job's steps with step templates inlined (deployment jobs keep theirs under the strategy)."""
    listed = job.get("steps") or job["strategy"]["runOnce"]["deploy"]["steps"]
    inlined: list[dict[str, Any]] = []
    for step in listed:
        if "template" in step:
            inlined += steps(load(folder / step["template"]))
        else:
            inlined.append(step)
    return inlined


def task(job_steps: list[dict[str, Any]], name: str) -> dict[str, Any]:
    (found,) = [step for step in job_steps if step.get("task") == name]
    return found


def script_running(job_steps: list[dict[str, Any]], command: str) -> dict[str, Any]:
    (found,) = [step for step in job_steps if command in step.get("bash", "")]
    return found


def junit_path(script: str) -> str:
    match = re.search(r"--junitxml=(\S+?)\"", script)
    assert match, f"no --junitxml in PYTEST_FLAGS: {script}"
    return match.group(1)


def job_named(pipeline: Mapping[str, Any], name: str) -> dict[str, Any]:
    jobs: list[dict[str, Any]] = pipeline["jobs"]
    (found,) = [job for job in jobs if job.get("job") == name]
    return found


@pytest.mark.parametrize("path", sorted(PIPELINES.rglob("*.yml")), ids=lambda p: str(p.relative_to(PIPELINES)))
def test_every_template_a_pipeline_uses_exists_and_gets_its_parameters(path: Path) -> None:
    for reference in template_references(load(path)):
        template = path.parent / reference["template"]
        assert template.is_file(), f"{path.name} uses {reference['template']}, which does not exist"
        declared = load(template).get("parameters", [])
        passed = set(reference.get("parameters", {}))
        assert passed <= {p["name"] for p in declared}, f"{template.name} does not declare {passed}"
        assert {p["name"] for p in declared if "default" not in p} <= passed, f"{template.name} lacks a parameter"


def test_ci_runs_make_test_on_main_and_pull_requests_against_postgres_and_rabbitmq() -> None:
    ci = load(PIPELINES / "ci.yml")
    assert ci["trigger"]["branches"]["include"] == ["main"]
    assert ci["pr"]["branches"]["include"] == ["main"]
    containers = {c["container"]: c for c in ci["resources"]["containers"]}
    test = job_named(ci, "test")
    assert {containers[name]["image"] for name in test["services"].values()} == {"postgres:16", "rabbitmq:3.13"}

    # The URLs the tests read point at the ports the service containers publish.
    published = {int(port.split(":")[0]) for c in containers.values() for port in c["ports"]}
    for variable in ("PRECISE_TEST_DATABASE_URL", "PRECISE_TEST_RABBITMQ_URL"):
        assert urlsplit(ci["variables"][variable]).port in published, variable

    job_steps = steps(test)
    assert task(job_steps, "UsePythonVersion@0")["inputs"]["versionSpec"] == "3.11"
    assert task(job_steps, "UseNode@1")["inputs"]["version"] == "20.x"
    results = task(job_steps, "PublishTestResults@2")
    assert results["inputs"]["testResultsFiles"] == junit_path(script_running(job_steps, "make test")["bash"])
    assert results["condition"] == "succeededOrFailed()", "failed runs must publish their results too"


def test_ci_benchmarks_main_only_after_the_tests_and_keeps_the_figures() -> None:
    ci = load(PIPELINES / "ci.yml")
    bench = job_named(ci, "bench")
    assert bench["dependsOn"] == "test"
    assert "eq(variables['Build.SourceBranch'], 'refs/heads/main')" in bench["condition"]
    assert set(bench["services"]) == set(job_named(ci, "test")["services"])
    job_steps = steps(bench)
    (figures,) = re.findall(r"make bench \| tee \"(\S+)\"", script_running(job_steps, "make bench")["bash"])
    assert [step["publish"] for step in job_steps if "publish" in step] == [figures]


def test_release_gates_on_e2e_then_deploys_dev_before_an_approved_prod() -> None:
    release = load(PIPELINES / "release.yml")
    assert release["trigger"] == "none", "release runs after CI passes, not on every push"
    (ci,) = release["resources"]["pipelines"]
    assert ci["trigger"]["branches"]["include"] == ["main"]

    e2e = load(PIPELINES / "e2e.yml")["stages"][0]
    (e2e_job,) = e2e["jobs"]
    assert script_running(steps(e2e_job), "make e2e")["env"]["PRECISE_E2E_CONTAINERS"] == "1"

    stages = release["stages"]
    assert stages[0] == {"template": "e2e.yml"}
    (image,) = [stage for stage in stages if stage.get("stage") == "image"]
    assert image["dependsOn"] == e2e["stage"]
    deploys = [stage["parameters"] for stage in stages if stage.get("template") == "templates/deploy.yml"]
    assert [(d["environment"], d["dependsOn"], d.get("promote", False)) for d in deploys] == [
        ("dev", ["image"], False),
        ("prod", ["deploy_dev"], True),
    ]
    (deploy_stage,) = load(PIPELINES / "templates" / "deploy.yml")["stages"]
    (job,) = deploy_stage["jobs"]
    assert job["environment"] == "precise-${{ parameters.environment }}", "approvals live on the environment"


def test_release_pushes_the_image_every_helm_deployment_runs(tmp_path: Path) -> None:
    release = load(PIPELINES / "release.yml")
    variables = release["variables"]
    (image_stage,) = [stage for stage in release["stages"] if stage.get("stage") == "image"]
    push = task(steps(image_stage["jobs"][0]), "Docker@2")["inputs"]
    assert push["command"] == "buildAndPush"
    assert (push["Dockerfile"], push["buildContext"]) == ("Dockerfile", ".")
    # Service connections are resolved at queue time: a template expression over a YAML variable.
    assert push["containerRegistry"] == "${{ variables.containerRegistryConnection }}"
    assert variables["containerRegistryConnection"]

    (deploy_stage,) = load(PIPELINES / "templates" / "deploy.yml")["stages"]
    deploy = task(steps(deploy_stage["jobs"][0]), "AzureCLI@2")
    assert (deploy["env"]["IMAGE_REPOSITORY"], deploy["env"]["IMAGE_TAG"]) == (push["repository"], push["tags"])
    script = (REPO / deploy["inputs"]["scriptPath"]).read_text()
    assert '--repository "$IMAGE_REPOSITORY" --tag "$IMAGE_TAG"' in script

    registry, tag = "precisedevimages.azurecr.io", "0123456789abcdef"
    platform_env = {"PRECISE_SERVICEBUS_NAMESPACE": "precise-dev-bus.servicebus.windows.net"}
    outputs = {
        "container_registry": {"value": registry},
        "workload_identity_client_id": {"value": "00000000-0000-0000-0000-000000000001"},
        "platform_env": {"value": platform_env},
        "applicationinsights_connection_string": {"value": "InstrumentationKey=synthetic", "sensitive": True},
    }
    (tmp_path / "outputs.json").write_text(json.dumps(outputs))
    values = coalesce(CHART_VALUES, release_values(tmp_path / "outputs.json", variables["imageRepository"], tag))

    assert values["env"] == platform_env
    assert CHART_VALUES["services"], "the chart deploys no service"
    for service in CHART_VALUES["services"]:
        assert chart_image(values, service) == f"{registry}/{variables['imageRepository']}:{tag}", service


def release_values(outputs: Path, repository: str, tag: str) -> dict[str, Any]:
    command = [sys.executable, str(PIPELINES / "scripts" / "release_values.py"), "--terraform-outputs", str(outputs)]
    command += ["--chart", str(CHART), "--repository", repository, "--tag", tag]
    command += ["--ingress-host", "precise.example.invalid", "--ingress-tls-secret", "precise-tls"]
    result: dict[str, Any] = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    return result


def coalesce(defaults: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """How Helm merges -f values over the chart's values.yaml: maps deeply, anything else replaced."""
    merged = dict(defaults)
    for key, value in overrides.items():
        both_maps = isinstance(value, Mapping) and isinstance(defaults.get(key), Mapping)
        merged[key] = coalesce(defaults[key], value) if both_maps else value
    return merged


def chart_image(values: Mapping[str, Any], service: str) -> str:
    """The `precise.image` helper of templates/_helpers.tpl."""
    own = values["services"][service]["image"]
    tag = own["tag"] or values["image"]["tag"] or load(CHART / "Chart.yaml")["appVersion"]
    registry = values["image"]["registry"]
    return f"{registry}/{own['repository']}:{tag}" if registry else f"{own['repository']}:{tag}"


# --- the image ---------------------------------------------------------------------------------------


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """(INSTRUCTION, arguments) per build stage, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (REPO / "Dockerfile").read_text())
    stages: list[list[tuple[str, str]]] = []
    for line in (raw.strip() for raw in text.splitlines()):
        if not line or line.startswith("#"):
            continue
        instruction, _, arguments = line.partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        stages[-1].append((instruction.upper(), arguments.strip()))
    return stages


def instructions(stage: list[tuple[str, str]], name: str) -> list[str]:
    return [arguments for instruction, arguments in stage if instruction == name]


def environment(stage: list[tuple[str, str]]) -> dict[str, str]:
    pairs = [pair.split("=", 1) for arguments in instructions(stage, "ENV") for pair in shlex.split(arguments)]
    return {key: value for key, value in pairs}


def test_image_runs_the_platform_as_the_non_root_user_the_chart_expects() -> None:
    *_, runtime = dockerfile_stages()
    assert instructions(runtime, "FROM") == ["python:3.11-slim"]
    (user,) = instructions(runtime, "USER")
    uid, gid = (int(part) for part in user.split(":"))
    security = CHART_VALUES["podSecurityContext"]
    assert uid != 0
    assert (uid, gid) == (security["runAsUser"], security["runAsGroup"])

    # The chart replaces the command with `precise run --target <service> ...` and relies on the profile.
    assert json.loads(instructions(runtime, "ENTRYPOINT")[0]) == ["precise"]
    command = " ".join(json.loads(instructions(runtime, "CMD")[0]))
    assert command == "run --target all --profile azure --host 0.0.0.0"
    assert environment(runtime)["PRECISE_PROFILE"] == CHART_VALUES["profile"]
    assert instructions(runtime, "EXPOSE") == [str(CHART_VALUES["containerPort"])]
    # Python cannot write bytecode on the chart's read-only root filesystem, so the build compiles it.
    assert environment(runtime)["PYTHONDONTWRITEBYTECODE"] == "1"


def test_image_installs_neither_the_dev_group_nor_the_probe(tmp_path: Path) -> None:
    build, *_ = dockerfile_stages()
    assert instructions(build, "FROM") == ["python:3.11-slim AS build"]
    (sync,) = [shlex.split(run) for run in instructions(build, "RUN") if "uv sync" in run]
    flags = sync[sync.index("sync") + 1 :]
    assert "--all-packages" not in flags, "--all-packages would install the probe, a workspace member"

    # The build context .dockerignore leaves, and the package set that uv sync picks in it.
    ignore = [line for line in (REPO / ".dockerignore").read_text().splitlines() if line and line[0] != "#"]
    context = tmp_path / "context"
    for relative in exclude_paths(str(REPO), ignore):
        if (REPO / relative).is_file():
            (context / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(REPO / relative, context / relative)
    assert not (context / "tests" / "e2e" / "probe" / "src").exists(), "the probe's code is in the build context"

    uv = os.environ.get("UV") or shutil.which("uv")
    assert uv, "uv is needed to read the lock file (run through `uv run` or `make`)"
    export = [uv, "export", *flags, "--no-header", "--no-annotate", "--no-hashes"]
    listed = subprocess.run(
        export, cwd=context, env=os.environ | environment(build), check=True, capture_output=True, text=True
    ).stdout.splitlines()
    names = {re.split(r"[=<>; ]", line)[0] for line in listed}
    assert {"./libs/contracts", "./libs/chassis", "./tools"} <= names
    assert not names & {"./tests/e2e/probe", "pytest", "hypothesis", "ruff", "mypy", "testcontainers"}
