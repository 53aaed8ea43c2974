#!/usr/bin/env bash
# `npm run deploy:validate [-- <kustomization dir> <compose file>]`: checks the deployment files
# offline, with pinned tools that install themselves on first use (into the git-ignored .local/):
#   1. the Kubernetes manifests: built with kustomize's own API (deploy/tools, Go module pinned in
#      go.sum), then every rendered resource against the official JSON schemas of Kubernetes
#      $KUBERNETES_VERSION in strict mode (unknown fields refused) by kubernetes-validate (PyPI,
#      deploy/requirements-validate.txt), which carries the schemas: nothing is fetched at run time;
#   2. docker-compose.yml: loaded by compose-go, the loader behind `docker compose config` (schema of
#      the Compose specification, interpolation, references between services), no Docker engine needed.
# Defaults: deploy/kubernetes and docker-compose.yml. Exit status 1 on the first invalid file. First,
# the validators must refuse the broken files of deploy/testdata/, so one that passes anything fails.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

kustomization="${1:-deploy/kubernetes}"
compose="${2:-docker-compose.yml}"
# The oldest Kubernetes release the manifests are held to; kubernetes-validate 1.37.0 has 1.25 to 1.37.
KUBERNETES_VERSION="${KUBERNETES_VERSION:-1.31.0}"

step() { printf '==> %s\n' "$1"; }
venv=.local/deploy-venv
requirements=deploy/requirements-validate.txt
if ! cmp -s "$requirements" "$venv/requirements.txt" 2>/dev/null; then
  step "installing the manifest validator into $venv ($requirements)"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$requirements"
  cp "$requirements" "$venv/requirements.txt"
fi

step "building the kustomize and compose checker (deploy/tools, Go)"
mkdir -p .local/bin .local/deploy
(cd deploy/tools && go build -buildvcs=false -o "$root/.local/bin/deploy-check" ./check)

step "the validators refuse known-broken files (deploy/testdata/)"
if "$venv/bin/kubernetes-validate" --strict --quiet --no-warn -k "$KUBERNETES_VERSION" deploy/testdata/broken-kubernetes.yaml >/dev/null 2>&1; then
  echo "error: kubernetes-validate accepted deploy/testdata/broken-kubernetes.yaml" >&2
  exit 1
fi
if .local/bin/deploy-check compose deploy/testdata/broken-compose.yml >/dev/null 2>&1; then
  echo "error: the compose check accepted deploy/testdata/broken-compose.yml" >&2
  exit 1
fi

step "kustomize build $kustomization"
rendered=.local/deploy/kubernetes.yaml
.local/bin/deploy-check kustomize "$kustomization" "$rendered"

step "Kubernetes $KUBERNETES_VERSION schemas, strict: every resource of $kustomization"
"$venv/bin/kubernetes-validate" --strict --no-warn -k "$KUBERNETES_VERSION" "$rendered"

step "Compose specification: $compose"
.local/bin/deploy-check compose "$compose"

echo "deployment files valid"
