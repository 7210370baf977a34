#!/usr/bin/env bash
# Fuzzes every decoder of tower-protocol briefly (protocol/fuzz, cargo-fuzz + libFuzzer).
# libFuzzer needs nightly compiler flags: a nightly toolchain is used when installed,
# otherwise the stable one with RUSTC_BOOTSTRAP=1. If neither can build the targets the
# stage fails; it never skips.
#   FUZZ_SECONDS=20   time per target
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/install.d/40-fuzz.sh

seconds=${FUZZ_SECONDS:-20}
targets=(framing control input snapshot fragment)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}/fuzz

if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  fuzz=(cargo +nightly fuzz)
  echo "fuzzing with the nightly toolchain"
else
  export RUSTC_BOOTSTRAP=1
  fuzz=(cargo fuzz)
  echo "no nightly toolchain: fuzzing with stable + RUSTC_BOOTSTRAP=1"
fi

cd protocol/fuzz
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! "${fuzz[@]}" build >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  echo "cannot build the fuzz targets" >&2
  exit 1
fi
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  echo "--- fuzz $t (${seconds}s)"
  if ! "${fuzz[@]}" run "$t" "corpus/$t" -- -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "fuzz target $t failed (a crashing input is in protocol/fuzz/artifacts/$t)" >&2
    exit 1
  fi
  grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units)' "$log" || true
done
echo "fuzzed ${#targets[@]} targets for ${seconds}s each"
