#!/usr/bin/env bash
# Tools for stage 55 (scripts/test.d/55-deploy.sh): the Kubernetes/Agones manifests.
#  - kubernetes-validate (PyPI): Kubernetes' JSON schemas for 1.32-1.37 bundled in the
#    package, so validating needs no cluster and no network; it brings jsonschema and PyYAML,
#    which also check the Agones kinds against deploy/agones/schema/.
# Idempotent and quiet when it is already there.
set -euo pipefail

KUBERNETES_VALIDATE_VERSION=1.37.0

if [ "$(python3 -c 'import importlib.metadata as m; print(m.version("kubernetes-validate"))' 2>/dev/null)" != "$KUBERNETES_VALIDATE_VERSION" ]; then
  echo "installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION (PyPI)"
  python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore \
    "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
fi
