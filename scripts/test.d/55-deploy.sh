#!/usr/bin/env bash
# Kubernetes/Agones manifests (deploy/agones/, docs/deploy.md), without a cluster:
#  1. every manifest against Kubernetes' schemas (strict, for each Kubernetes version Agones
#     v1.56 supports) and the Agones kinds against Tower's Agones v1.56 schema, plus Tower's
#     rules (keys only from the Secret, the `players` Counter, autoscaler consistency);
#  2. the validator refuses broken copies (misspelt and mistyped fields, literal keys, an
#     autoscaler on a missing Counter, ...), so this stage can fail; and Nakama's flags and the
#     game server's settings match docker-compose.yml's (no drift between the two).
# The Agones SDK client and its fake sidecar are tested by `cargo test` (agones/).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ left in deploy/

echo "-- deploy/agones against the schemas"
python3 deploy/validate.py deploy/agones

echo "-- broken manifests are refused"
python3 -m unittest discover -s deploy -p 'test_validate.py'
