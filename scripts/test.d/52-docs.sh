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

# The docs run `cargo run --release -p X` themselves; building first keeps the build's time
# out of the blocks' timeouts and gives the --help texts the flag check reads. One package per
# command, as the docs build them: features are unified per invocation, so building the three
# together would give other artifacts than each doc's own command and it would rebuild.
for package in tower-server tower-bots tower-floor; do
  cargo build --release -p "$package"
done

# The README's server listens on the fixed ports 127.0.0.1:4433 and :9433. As root, the docs
# run in a network namespace of their own (a private loopback), so nothing else on the machine
# (another stage, a developer's server) can hold those ports or see the docs' servers.
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null && command -v ip >/dev/null \
    && unshare --net true 2>/dev/null; then
  unshare --net -- sh -c 'ip link set lo up && exec python3 scripts/docs_test.py "$@"' docs-test "$@"
else
  python3 scripts/docs_test.py "$@"
fi
echo "docs stage: $((SECONDS - start)) s"
