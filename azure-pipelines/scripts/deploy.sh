#!/usr/bin/env bash
# Deploy one environment: read its Terraform outputs, copy the image into its registry when asked, then
# `helm upgrade --install` deploy/helm/precise. Run by templates/deploy.yml inside AzureCLI@2, which has
# signed in to the environment's subscription and exported the connection's identity.
set -euo pipefail

: "${PRECISE_ENVIRONMENT:?}" "${IMAGE_REPOSITORY:?}" "${IMAGE_TAG:?}"
: "${TF_STATE_RESOURCE_GROUP:?}" "${TF_STATE_STORAGE_ACCOUNT:?}" "${INGRESS_HOST:?}" "${INGRESS_TLS_SECRET:?}"

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
terraform_dir="$repo/deploy/terraform"
chart="$repo/deploy/helm/precise"
# Holds secrets (the outputs carry the Application Insights connection string): removed on exit.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Terraform signs in as the service connection: workload identity federation or a client secret.
export ARM_CLIENT_ID="$servicePrincipalId" ARM_TENANT_ID="$tenantId"
ARM_SUBSCRIPTION_ID="$(az account show --query id --output tsv)"
export ARM_SUBSCRIPTION_ID
if [[ -n "${idToken:-}" ]]; then
  export ARM_USE_OIDC=true ARM_OIDC_TOKEN="$idToken"
else
  export ARM_CLIENT_SECRET="$servicePrincipalKey"
fi

# The state layout of deploy/terraform/README.md.
terraform -chdir="$terraform_dir" init -input=false \
  -backend-config="resource_group_name=$TF_STATE_RESOURCE_GROUP" \
  -backend-config="storage_account_name=$TF_STATE_STORAGE_ACCOUNT" \
  -backend-config="container_name=tfstate" \
  -backend-config="key=precise-$PRECISE_ENVIRONMENT.tfstate" \
  -backend-config="use_azuread_auth=true"
terraform -chdir="$terraform_dir" output -json >"$work/outputs.json"
output() { jq --raw-output --arg name "$1" '.[$name].value' "$work/outputs.json"; }

registry="$(output container_registry)"
if [[ -n "${SOURCE_REGISTRY_ID:-}" ]]; then
  # The digest the previous environment ran, copied rather than rebuilt.
  az acr import --name "${registry%%.*}" --registry "$SOURCE_REGISTRY_ID" \
    --source "$IMAGE_REPOSITORY:$IMAGE_TAG" --image "$IMAGE_REPOSITORY:$IMAGE_TAG" --force
fi

export KUBECONFIG="$work/kubeconfig"
az aks get-credentials --resource-group "$(output resource_group_name)" --name "$(output aks_cluster_name)" \
  --file "$KUBECONFIG"

python "$repo/azure-pipelines/scripts/release_values.py" \
  --terraform-outputs "$work/outputs.json" --chart "$chart" \
  --repository "$IMAGE_REPOSITORY" --tag "$IMAGE_TAG" \
  --ingress-host "$INGRESS_HOST" --ingress-tls-secret "$INGRESS_TLS_SECRET" >"$work/values.json"

# The namespace must be Terraform's kubernetes_namespace (default precise): the identity trusts only it.
# --atomic waits for the pods to be ready and rolls back to the previous release if they do not.
helm upgrade --install precise "$chart" --namespace precise --create-namespace \
  --values "$work/values.json" --atomic --timeout 15m
