#!/usr/bin/env bash
# The C ABI from C and C++: the committed header must match cbindgen's output; the engine-free
# core of the Unreal plugin (ue5-plugin/core) is built with CMake and its GoogleTest suite
# runs against the real tower_ffi library (golden vectors, error paths and lengths, mesh
# builder, the glue's decisions, live client against a real tower-server by IP and by host
# name, the play session tower::Session against a real tower-server, killed and restarted in
# place for the resume), then once more under AddressSanitizer + UndefinedBehaviorSanitizer
# with leak detection.
set -euo pipefail
cd "$(dirname "$0")/../.."

bash scripts/install.d/60-cpp.sh

target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
export CARGO_TARGET_DIR="$target_dir"

echo "--- header: ffi/include/tower.h is what cbindgen generates"
cargo test -q -p tower-ffi --test header

echo "--- cargo build tower-ffi (+ tower-server for the live test)"
cargo build -q -p tower-ffi -p tower-server
lib="$target_dir/debug/libtower_ffi.so"
server="$target_dir/debug/tower-server"

run_suite() {
  local name=$1
  shift
  local build="$target_dir/cpp/$name"
  echo "--- C++ core: $name"
  mkdir -p "$build"
  if ! { cmake -S ue5-plugin/core -B "$build" -DCMAKE_BUILD_TYPE=Debug \
    -DTOWER_FFI_LIBRARY="$lib" "$@" && cmake --build "$build" -j 2; } >"$build/build.log" 2>&1; then
    cat "$build/build.log"
    return 1
  fi
  TOWER_SERVER_BIN="$server" ctest --test-dir "$build" --output-on-failure --timeout 120
}

echo "--- stage-ue5-plugin.sh stages library (with SONAME) and header into a plugin copy"
stage_dir="$(mktemp -d)"
trap 'rm -rf "$stage_dir"' EXIT
cp -r ue5-plugin/TowerGame "$stage_dir/"
scripts/stage-ue5-plugin.sh --debug --plugin-dir "$stage_dir/TowerGame"
staged_so="$stage_dir/TowerGame/Binaries/ThirdParty/TowerFFI/Linux/x86_64-unknown-linux-gnu/libtower_ffi.so"
cmp ffi/include/tower.h "$stage_dir/TowerGame/Source/ThirdParty/TowerFFI/include/tower.h"
readelf -d "$staged_so" | grep -q 'Library soname: \[libtower_ffi.so\]' ||
  { echo "staged library has no SONAME libtower_ffi.so"; exit 1; }

run_suite plain
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
  run_suite asan -DTOWER_SANITIZE=ON
