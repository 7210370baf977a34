#!/usr/bin/env bash
# docker-compose.yml as users run it: built, started, played and torn down against a Docker
# engine on this machine (scripts/compose-test.sh). Fails, never skips, when the engine
# cannot start. ~21 min from an empty Docker state on 2 cores (mostly the release build
# inside the Dockerfile), ~3 min when the stand-in images and cargo's cache mounts are warm.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec scripts/compose-test.sh
