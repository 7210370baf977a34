#!/usr/bin/env bash
# The golden floor vectors again, outside the debug `cargo test --workspace` of stage 20:
# in release, and in release with RUSTFLAGS="-C target-cpu=native" (its own target dir so
# the normal build is not invalidated). Every build must reproduce every committed hash.
set -euo pipefail
cd "$(dirname "$0")/../.."

target=${CARGO_TARGET_DIR:-target}

echo "--- golden vectors, release"
cargo test --locked --release -p procgen --test golden --test determinism

echo "--- golden vectors, release, -C target-cpu=native"
RUSTFLAGS="-C target-cpu=native" CARGO_TARGET_DIR="$target/native" \
  cargo test --locked --release -p procgen --test golden --test determinism
