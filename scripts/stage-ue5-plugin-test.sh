#!/usr/bin/env bash
# Runs scripts/stage-ue5-plugin.sh with stand-in `cargo`, `rustup`, `lipo` and `uname`
# (tiny scripts first on PATH that write the files a real build would) for every platform
# Unreal builds the plugin on, and checks the staged layout against what
# TowerFFI.Build.cs reads. Takes a second; needs no toolchain. Run by
# scripts/test.d/65-unreal-checks.sh.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
stage="${STAGE_SCRIPT:-$repo/scripts/stage-ue5-plugin.sh}"  # override: check another version

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fake="$work/bin"
mkdir -p "$fake"
export FAKE_LOG="$work/calls.log"
export CARGO_TARGET_DIR="$work/target"

# cargo [zigbuild|build] -q -p tower-ffi [--release] [--target T[.GLIBC]]: writes what the
# toolchain of T leaves in the target dir (cargo-zigbuild drops the glibc suffix there).
cat >"$fake/cargo" <<'EOF'
#!/usr/bin/env bash
echo "cargo $*" >>"$FAKE_LOG"
profile=debug triple=""
while [ $# -gt 0 ]; do
  case "$1" in
    --release) profile=release ;;
    --target) triple="$2"; shift ;;
  esac
  shift
done
triple="${triple%.2.*}"
out="$CARGO_TARGET_DIR/${triple:+$triple/}$profile"
mkdir -p "$out"
case "${triple:-$FAKE_HOST_TRIPLE}" in
  *windows-msvc) touch "$out/tower_ffi.dll" "$out/tower_ffi.dll.lib" "$out/tower_ffi.pdb" ;;
  *windows-gnu) touch "$out/tower_ffi.dll" "$out/libtower_ffi.dll.a" ;;
  *apple-darwin) echo "dylib ${triple:-host}" >"$out/libtower_ffi.dylib" ;;
  *linux-gnu) echo "so ${triple:-host}" >"$out/libtower_ffi.so" ;;
  *) echo "fake cargo: no idea what $triple builds" >&2; exit 1 ;;
esac
EOF
cat >"$fake/rustup" <<'EOF'
#!/usr/bin/env bash
echo "rustup $*" >>"$FAKE_LOG"
[ "$*" = "target list --installed" ] && printf '%s\n' $FAKE_RUSTUP_TARGETS
EOF
cat >"$fake/lipo" <<'EOF'
#!/usr/bin/env bash
echo "lipo $*" >>"$FAKE_LOG"
[ "$1" = -create ] || exit 1
shift
inputs=()
while [ "$1" != -output ]; do inputs+=("$1"); shift; done
cat "${inputs[@]}" >"$2"
EOF
cat >"$fake/uname" <<'EOF'
#!/usr/bin/env bash
case "$1" in -m) echo "$FAKE_UNAME_M" ;; *) echo "$FAKE_UNAME_S" ;; esac
EOF
chmod +x "$fake"/*
# Only the stand-ins and the base system: the real cargo (~/.cargo/bin) and any real
# cargo-zigbuild stay out of reach. $zig holds a stand-in cargo-zigbuild for the cases
# that have one.
zig="$work/zig"
mkdir -p "$zig"
printf '#!/bin/sh\nexit 0\n' >"$zig/cargo-zigbuild"
chmod +x "$zig/cargo-zigbuild"
base_path="$fake:/usr/bin:/bin"
export PATH="$base_path"

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# A fresh plugin copy (header folder only) for each case; prints its path.
new_plugin() {
  local dir="$work/$1/Plugins/TowerGame"
  mkdir -p "$dir/Source/ThirdParty/TowerFFI"
  echo "$dir"
}

# run NAME HOST_OS HOST_ARCH HOST_TRIPLE RUSTUP_TARGETS -- ARGS...: runs the stage script from
# the case's project folder (so a relative --plugin-dir is tested); output in $work/NAME.out.
run() {
  local name=$1 os=$2 arch=$3 host=$4 targets=$5
  shift 6
  : >"$FAKE_LOG"
  (cd "$work/$name" && FAKE_UNAME_S=$os FAKE_UNAME_M=$arch FAKE_HOST_TRIPLE=$host \
    FAKE_RUSTUP_TARGETS=$targets "$stage" "$@") >"$work/$name.out" 2>&1
}

expect_files() {
  local name=$1 dir=$2
  shift 2
  for f in "$@"; do
    [ -f "$dir/$f" ] || fail "$name: $f not staged (output: $(cat "$work/$name.out"))"
  done
  cmp -s "$repo/ffi/include/tower.h" "$dir/Source/ThirdParty/TowerFFI/include/tower.h" ||
    fail "$name: header not staged"
}

bin=Binaries/ThirdParty/TowerFFI

echo "--- Win64 (x86_64-pc-windows-msvc), relative --plugin-dir"
p="$(new_plugin win64)"
run win64 Linux x86_64 x86_64-unknown-linux-gnu "" -- --target x86_64-pc-windows-msvc --plugin-dir Plugins/TowerGame ||
  fail "win64: exit $? ($(cat "$work/win64.out"))"
expect_files win64 "$p" "$bin/Win64/tower_ffi.dll" "$bin/Win64/tower_ffi.dll.lib" "$bin/Win64/tower_ffi.pdb"
grep -q -- "--release --target x86_64-pc-windows-msvc" "$FAKE_LOG" || fail "win64: not a release build: $(cat "$FAKE_LOG")"
[ ! -e "$repo/Plugins" ] || fail "win64: a relative --plugin-dir resolved against the repository"

echo "--- windows-gnu is refused (no MSVC import library)"
p="$(new_plugin wingnu)"
if run wingnu Linux x86_64 x86_64-unknown-linux-gnu "" -- --target x86_64-pc-windows-gnu --plugin-dir Plugins/TowerGame; then
  fail "wingnu: staged a windows-gnu build"
fi
grep -q "x86_64-pc-windows-msvc" "$work/wingnu.out" || fail "wingnu: message does not name the msvc target: $(cat "$work/wingnu.out")"
[ ! -e "$p/Binaries" ] || fail "wingnu: something was staged"

echo "--- Mac universal (both apple targets installed): lipo joins arm64 and x86_64"
p="$(new_plugin macuni)"
run macuni Darwin arm64 aarch64-apple-darwin "aarch64-apple-darwin x86_64-apple-darwin" -- --plugin-dir "$work/macuni/Plugins/TowerGame" ||
  fail "macuni: exit $? ($(cat "$work/macuni.out"))"
expect_files macuni "$p" "$bin/Mac/libtower_ffi.dylib"
grep -q "dylib aarch64-apple-darwin" "$p/$bin/Mac/libtower_ffi.dylib" 2>/dev/null &&
  grep -q "dylib x86_64-apple-darwin" "$p/$bin/Mac/libtower_ffi.dylib" ||
  fail "macuni: the dylib is not both architectures: $(cat "$FAKE_LOG")"

echo "--- Mac, one target"
p="$(new_plugin macone)"
run macone Darwin arm64 aarch64-apple-darwin "aarch64-apple-darwin" -- --target aarch64-apple-darwin --plugin-dir Plugins/TowerGame ||
  fail "macone: exit $? ($(cat "$work/macone.out"))"
expect_files macone "$p" "$bin/Mac/libtower_ffi.dylib"
grep -q lipo "$FAKE_LOG" && fail "macone: lipo ran for a single target"

echo "--- Linux x86_64 host build"
p="$(new_plugin linux64)"
run linux64 Linux x86_64 x86_64-unknown-linux-gnu "" -- --debug --plugin-dir Plugins/TowerGame ||
  fail "linux64: exit $? ($(cat "$work/linux64.out"))"
expect_files linux64 "$p" "$bin/Linux/x86_64-unknown-linux-gnu/libtower_ffi.so"
grep -q -- "--release" "$FAKE_LOG" && fail "linux64: --debug built a release"

echo "--- Linux aarch64 (LinuxArm64 in Unreal), release without cargo-zigbuild: native, warned"
p="$(new_plugin linuxarm)"
run linuxarm Linux x86_64 x86_64-unknown-linux-gnu "" -- --target aarch64-unknown-linux-gnu --plugin-dir Plugins/TowerGame ||
  fail "linuxarm: exit $? ($(cat "$work/linuxarm.out"))"
grep -q "warning: cargo-zigbuild not found" "$work/linuxarm.out" || fail "linuxarm: no warning about the glibc baseline"
grep -q "cargo build .*--release --target aarch64-unknown-linux-gnu" "$FAKE_LOG" || fail "linuxarm: $(cat "$FAKE_LOG")"
expect_files linuxarm "$p" "$bin/Linux/aarch64-unknown-linux-gnueabi/libtower_ffi.so"
grep -q "so aarch64-unknown-linux-gnu" "$p/$bin/Linux/aarch64-unknown-linux-gnueabi/libtower_ffi.so" 2>/dev/null ||
  fail "linuxarm: staged the wrong library"

echo "--- Linux release with cargo-zigbuild installed: glibc 2.17 by default, native on request"
p="$(new_plugin zigdefault)"
PATH="$zig:$base_path" run zigdefault Linux x86_64 x86_64-unknown-linux-gnu "" -- --plugin-dir Plugins/TowerGame ||
  fail "zigdefault: exit $? ($(cat "$work/zigdefault.out"))"
grep -q -- "cargo zigbuild .*--release --target x86_64-unknown-linux-gnu.2.17" "$FAKE_LOG" ||
  fail "zigdefault: the shipped .so was not built for glibc 2.17: $(cat "$FAKE_LOG")"
expect_files zigdefault "$p" "$bin/Linux/x86_64-unknown-linux-gnu/libtower_ffi.so"
PATH="$zig:$base_path" run zigdefault Linux x86_64 x86_64-unknown-linux-gnu "" -- --glibc native --plugin-dir Plugins/TowerGame ||
  fail "zigdefault native: exit $? ($(cat "$work/zigdefault.out"))"
grep -q zigbuild "$FAKE_LOG" && fail "zigdefault: --glibc native still used zigbuild"

echo "--- Linux with an explicit glibc baseline (cargo-zigbuild)"
p="$(new_plugin glibc)"
run glibc Linux aarch64 aarch64-unknown-linux-gnu "" -- --glibc 2.17 --plugin-dir Plugins/TowerGame ||
  fail "glibc: exit $? ($(cat "$work/glibc.out"))"
grep -q -- "cargo zigbuild .*--target aarch64-unknown-linux-gnu.2.17" "$FAKE_LOG" ||
  fail "glibc: not built with zigbuild for glibc 2.17: $(cat "$FAKE_LOG")"
expect_files glibc "$p" "$bin/Linux/aarch64-unknown-linux-gnueabi/libtower_ffi.so"
if run glibc Linux x86_64 x86_64-unknown-linux-gnu "" -- --glibc 2.17 --target x86_64-pc-windows-msvc --plugin-dir Plugins/TowerGame; then
  fail "glibc: --glibc accepted for Windows"
fi

echo "--- bad arguments"
new_plugin bad >/dev/null
if run bad Linux x86_64 x86_64-unknown-linux-gnu "" -- --plugin-dir does/not/exist; then
  fail "bad: a missing plugin folder was accepted"
fi
if run bad Linux x86_64 x86_64-unknown-linux-gnu "" -- --target x86_64-unknown-linux-musl --plugin-dir Plugins/TowerGame; then
  fail "bad: musl was accepted (Unreal's Linux builds link glibc)"
fi

if [ "$failures" -ne 0 ]; then
  echo "stage-ue5-plugin-test: $failures failure(s)" >&2
  exit 1
fi
echo "stage-ue5-plugin-test: all layouts as TowerFFI.Build.cs expects"
