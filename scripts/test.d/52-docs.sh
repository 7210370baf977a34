#!/usr/bin/env bash
# Docs as tests (scripts/docs_test.py; how a block is marked: the top of that script and
# docs/docs-tests.md): the commands README.md and docs/*.md mark as runnable are run in order,
# exactly as written, in a fresh copy of the repository on loopback (the README's server and
# bots, the floor CLI, the native Nakama stack with a game server and bots through its
# matchmaker); those that need Unreal, Kubernetes, Docker or a public host are only
# syntax-checked; the protocol and generator versions, the CLI flags and the repository paths
# the docs name are checked against the code. Needs the native Nakama stack installed
# (scripts/install.d/50-nakama.sh). Prints its counts and its time.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PYTHONDONTWRITEBYTECODE=1
# The build settings of scripts/test.sh, also when this stage is run alone, so the docs' own
# `cargo run`s find what the other stages built instead of rebuilding the workspace.
export CARGO_INCREMENTAL=0
export CARGO_PROFILE_DEV_DEBUG=line-tables-only
export CARGO_PROFILE_RELEASE_DEBUG=line-tables-only
start=$SECONDS

# The docs run `cargo run --release -p ...` themselves; building first keeps the build's time
# out of the blocks' timeouts and gives the --help texts the flag check reads.
cargo build --release -p tower-server -p tower-bots -p tower-floor

python3 scripts/docs_test.py "$@"
echo "docs stage: $((SECONDS - start)) s"
