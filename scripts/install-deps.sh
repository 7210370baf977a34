#!/usr/bin/env bash
# Installs what the test suite needs on a fresh machine of this kind (Debian + rustup + Go):
# the Rust components here, then every scripts/install.d/*.sh (one per concern).
# Idempotent and quiet when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! rustup component list --installed 2>/dev/null | grep -q '^clippy'; then rustup component add clippy; fi
if ! rustup component list --installed 2>/dev/null | grep -q '^rustfmt'; then rustup component add rustfmt; fi

for script in scripts/install.d/*.sh; do
  [ -e "$script" ] || continue
  bash "$script"
done
