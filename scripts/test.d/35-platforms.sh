#!/usr/bin/env bash
# Same floor on every platform this machine can emulate (issue 14, docs/floors.md): the
# procgen golden vectors, determinism tests and load-time self-test, in release, built for
#   x86_64-pc-windows-gnu      (mingw-w64, run under wine64 8.0)
#   aarch64-unknown-linux-gnu  (qemu-aarch64)
#   i686-unknown-linux-gnu     (32-bit; native through the cross loader, else qemu-i386)
#   s390x-unknown-linux-gnu    (qemu-s390x; big-endian)
#   wasm32-wasip1              (wasmtime)
# and tower-ffi built for Windows: tower_ffi.dll plus a C program cross-compiled with
# mingw (scripts/platforms/ffi-golden.c) that checks every golden vector through the C ABI
# under wine. Every platform is run even after a failure; any failure fails the stage.
# Own target dir (target/platforms) so it never invalidates the other stages' builds.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD

bash scripts/install.d/35-platforms.sh

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}/platforms"
# Leaves out procgen's bench and property-test dev-dependencies (procgen/Cargo.toml): only
# the golden, determinism and self-test targets run here. Applies to target crates only.
export RUSTFLAGS="--cfg tower_platforms"
mkdir -p "$CARGO_TARGET_DIR"

export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$repo/scripts/platforms/wine-run.sh"
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu"
export CARGO_TARGET_I686_UNKNOWN_LINUX_GNU_LINKER=i686-linux-gnu-gcc
# 32-bit x86 runs natively when the kernel runs 32-bit binaries (it does here), through the
# cross C library's loader; qemu-i386 is the fallback (correct too, but about 100x slower).
i686_loader="/usr/i686-linux-gnu/lib/ld-linux.so.2"
if "$i686_loader" --list /usr/i686-linux-gnu/lib/libc.so.6 >/dev/null 2>&1; then
  i686_how="native 32-bit"
  export CARGO_TARGET_I686_UNKNOWN_LINUX_GNU_RUNNER="$i686_loader --library-path /usr/i686-linux-gnu/lib"
else
  i686_how="qemu"
  export CARGO_TARGET_I686_UNKNOWN_LINUX_GNU_RUNNER="qemu-i386 -L /usr/i686-linux-gnu"
fi
export CARGO_TARGET_S390X_UNKNOWN_LINUX_GNU_LINKER=s390x-linux-gnu-gcc
export CARGO_TARGET_S390X_UNKNOWN_LINUX_GNU_RUNNER="qemu-s390x -L /usr/s390x-linux-gnu"
export CARGO_TARGET_WASM32_WASIP1_RUNNER="python3 $repo/scripts/platforms/wasi-run.py"
# C compilers for crates with C parts (ring, in tower-ffi's client half).
export CC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-gcc

# Wine: a prefix of our own (created once, kept in the target dir) and the ProcessPrng shim
# that wine 8.0 lacks (scripts/platforms/bcryptprimitives.c).
export WINEPREFIX="$CARGO_TARGET_DIR/wine-prefix"
export TOWER_WINE_SHIM="$CARGO_TARGET_DIR/shim/bcryptprimitives.dll"
mkdir -p "$(dirname "$TOWER_WINE_SHIM")"
x86_64-w64-mingw32-gcc -O2 -shared -o "$TOWER_WINE_SHIM" scripts/platforms/bcryptprimitives.c

results=()
failed=0

# run NAME COMMAND...: runs one platform's check, records its result and time.
run() {
  local name=$1
  shift
  local start=$SECONDS
  echo "--- $name"
  if "$@"; then
    results+=("$(printf '%-40s ok      %4d s' "$name" $((SECONDS - start)))")
  else
    results+=("$(printf '%-40s FAILED  %4d s' "$name" $((SECONDS - start)))")
    failed=$((failed + 1))
  fi
}

procgen_tests() {
  cargo test --locked --release -q -p procgen --target "$1" \
    --test golden --test determinism --test self_test
}

ffi_windows() {
  # One && chain: errexit does not apply inside a function run as an `if` condition.
  local triple=x86_64-pc-windows-gnu
  local out="$CARGO_TARGET_DIR/$triple/release"
  local dir="$CARGO_TARGET_DIR/ffi-golden"
  cargo build --locked --release -q -p tower-ffi --target "$triple" &&
    mkdir -p "$dir" &&
    cp -f "$out/tower_ffi.dll" "$dir/" &&
    x86_64-w64-mingw32-gcc -std=c11 -O2 -Wall -Wextra -Werror -I ffi/include \
      -o "$dir/ffi-golden.exe" scripts/platforms/ffi-golden.c "$out/libtower_ffi.dll.a" &&
    "$CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER" "$dir/ffi-golden.exe" \
      procgen/tests/golden_vectors.txt
}

run "x86_64-pc-windows-gnu (wine)" procgen_tests x86_64-pc-windows-gnu
run "aarch64-unknown-linux-gnu (qemu)" procgen_tests aarch64-unknown-linux-gnu
run "i686-unknown-linux-gnu ($i686_how)" procgen_tests i686-unknown-linux-gnu
run "s390x-unknown-linux-gnu (qemu)" procgen_tests s390x-unknown-linux-gnu
run "wasm32-wasip1 (wasmtime)" procgen_tests wasm32-wasip1
run "tower_ffi.dll C ABI (wine)" ffi_windows

echo
echo "platform                                 result  time"
printf '%s\n' "${results[@]}"
echo "platforms: $((${#results[@]} - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
