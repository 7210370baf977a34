#!/usr/bin/env bash
# Installs what the compose stage (scripts/test.d/70-compose.sh) needs, from Debian's packages:
#  - the Docker engine (docker.io: dockerd, containerd, runc; 20.10 in bookworm) and compose v1
#    (docker-compose 1.29; compose v2 is not packaged in bookworm);
#  - debootstrap, which makes the local base image (no image can be pulled here);
#  - what the stage's checks use: python3-yaml, openssl (random keys), curl.
# The stage starts dockerd itself when none runs. Idempotent and quiet when all is present.
set -euo pipefail
. "$(dirname "$0")/../lib/apt.sh"

missing=()
# /usr/bin/docker is the engine's own client (20.10): the stage uses it for BuildKit builds.
{ [ -x /usr/sbin/dockerd ] && [ -x /usr/bin/docker ]; } || missing+=(docker.io)
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v debootstrap >/dev/null || missing+=(debootstrap)
python3 -c 'import yaml' 2>/dev/null || missing+=(python3-yaml)
command -v openssl >/dev/null || missing+=(openssl)
command -v curl >/dev/null || missing+=(curl)
apt_install ${missing[@]+"${missing[@]}"}
