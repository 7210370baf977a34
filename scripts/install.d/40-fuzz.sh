#!/usr/bin/env bash
# Tools for stage 40 (fuzzing protocol/fuzz): cargo-fuzz. libFuzzer needs nightly compiler
# features; the stage uses a nightly toolchain when one is installed and otherwise the
# stable one with RUSTC_BOOTSTRAP=1, so no extra toolchain download is required.
set -euo pipefail
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz"
  cargo install --locked cargo-fuzz
fi
