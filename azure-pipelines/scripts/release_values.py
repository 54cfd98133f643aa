"""Helm values for one environment, as JSON for `helm upgrade -f`: what `terraform output -json` says about
it, and the image the release pushed.

    python azure-pipelines/scripts/release_values.py --terraform-outputs outputs.json \\
        --chart deploy/helm/precise --repository precise --tag <commit> \\
        --ingress-host precise.example.police.uk --ingress-tls-secret precise-tls > values.json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml


def release_values(
    outputs: Mapping[str, Any],
    chart_values: Mapping[str, Any],
    *,
    repository: str,
    tag: str,
    ingress_host: str,
    ingress_tls_secret: str,
) -> dict[str, Any]:
    def output(name: str) -> Any:
        return outputs[name]["value"]

    return {
        "image": {"registry": output("container_registry"), "tag": tag},
        # The chart names an image per service; the platform ships as one image that runs any --target.
        "services": {name: {"image": {"repository": repository}} for name in chart_values["services"]},
        "workloadIdentity": {"clientId": output("workload_identity_client_id")},
        "env": output("platform_env"),
        "secretEnv": {"APPLICATIONINSIGHTS_CONNECTION_STRING": output("applicationinsights_connection_string")},
        "ingress": {"host": ingress_host, "tlsSecretName": ingress_tls_secret},
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Helm values for one environment of Precise, as JSON.")
    parser.add_argument("--terraform-outputs", type=Path, required=True, help="`terraform output -json` saved")
    parser.add_argument("--chart", type=Path, required=True, help="the chart folder, deploy/helm/precise")
    parser.add_argument("--repository", required=True, help="the image repository the release pushed")
    parser.add_argument("--tag", required=True, help="the image tag the release pushed")
    parser.add_argument("--ingress-host", required=True)
    parser.add_argument("--ingress-tls-secret", required=True)
    args = parser.parse_args(argv)
    values = release_values(
        json.loads(args.terraform_outputs.read_text()),
        yaml.safe_load((args.chart / "values.yaml").read_text()),
        repository=args.repository,
        tag=args.tag,
        ingress_host=args.ingress_host,
        ingress_tls_secret=args.ingress_tls_secret,
    )
    json.dump(values, sys.stdout, indent=2)


if __name__ == "__main__":
    main()
