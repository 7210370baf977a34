#!/usr/bin/env bash
# Every Rust test in the workspace (debug).
set -euo pipefail
cargo test --workspace --locked --no-fail-fast
