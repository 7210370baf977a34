#!/usr/bin/env bash
# Builds tower-ffi for this machine (or --target TRIPLE) and stages the shared library and
# the header into the Unreal plugin, where TowerFFI.Build.cs and the module look for them:
#
#   <plugin>/Source/ThirdParty/TowerFFI/include/tower.h
#   <plugin>/Binaries/ThirdParty/TowerFFI/Win64/tower_ffi.dll + tower_ffi.dll.lib (+ .pdb)
#   <plugin>/Binaries/ThirdParty/TowerFFI/Mac/libtower_ffi.dylib      (universal on macOS)
#   <plugin>/Binaries/ThirdParty/TowerFFI/Linux/x86_64-unknown-linux-gnu/libtower_ffi.so
#   <plugin>/Binaries/ThirdParty/TowerFFI/Linux/aarch64-unknown-linux-gnueabi/libtower_ffi.so
#
# Usage: scripts/stage-ue5-plugin.sh [--debug] [--target TRIPLE] [--glibc VER] [--plugin-dir DIR]
#   --debug        stage a debug build (default: release)
#   --target T     cross-build for T; default: the host. Win64 needs x86_64-pc-windows-msvc
#                  (Unreal links with MSVC; windows-gnu has no tower_ffi.dll.lib).
#   --glibc VER    Linux only: link against glibc VER with cargo-zigbuild, so the .so loads
#                  on distributions older than the build machine. Release Linux builds use
#                  2.17 (the oldest glibc Rust supports) by default when cargo-zigbuild is
#                  installed (`pip install cargo-zigbuild ziglang`, as scripts/install.d/
#                  60-cpp.sh does); `--glibc native` links against this machine's glibc,
#                  so the .so then needs that glibc or newer.
#   --plugin-dir D the TowerGame plugin folder to stage into (default: ue5-plugin/TowerGame,
#                  e.g. MyProject/Plugins/TowerGame). A relative D is relative to the
#                  directory you run the script from, like any other path argument.
# On macOS with both apple targets installed (rustup target add aarch64-apple-darwin
# x86_64-apple-darwin) it builds both and joins them with lipo into one universal dylib.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"

profile=release
target=""
glibc=""
plugin="$repo/ue5-plugin/TowerGame"
while [ $# -gt 0 ]; do
  case "$1" in
    --debug) profile=debug ;;
    --target) target="${2:?--target needs a triple}"; shift ;;
    --glibc) glibc="${2:?--glibc needs a version, e.g. 2.17}"; shift ;;
    --plugin-dir) plugin="${2:?--plugin-dir needs a folder}"; shift ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "stage-ue5-plugin: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# Relative to the caller's directory: resolve before changing to the repository.
case "$plugin" in
  /*) ;;
  *) plugin="$PWD/$plugin" ;;
esac
[ -d "$plugin" ] || { echo "stage-ue5-plugin: plugin folder $plugin does not exist" >&2; exit 2; }
plugin="$(cd "$plugin" && pwd)"
[[ $glibc =~ ^$|^native$|^2\.[0-9]+$ ]] || { echo "stage-ue5-plugin: --glibc wants 2.N or native, got '$glibc'" >&2; exit 2; }
cd "$repo"

target_dir="${CARGO_TARGET_DIR:-$repo/target}"
profile_flag=()
[ "$profile" = release ] && profile_flag=(--release)

# Builds tower-ffi for one triple (or the host when empty); prints the output folder.
build() {
  local triple=$1
  if [ -n "$glibc" ]; then
    # cargo-zigbuild reads the glibc version from a suffix of the triple.
    cargo zigbuild -q -p tower-ffi "${profile_flag[@]}" --target "$triple.$glibc" >&2
    echo "$target_dir/$triple/$profile"
  elif [ -n "$triple" ]; then
    cargo build -q -p tower-ffi "${profile_flag[@]}" --target "$triple" >&2
    echo "$target_dir/$triple/$profile"
  else
    cargo build -q -p tower-ffi "${profile_flag[@]}" >&2
    echo "$target_dir/$profile"
  fi
}

host_os="$(uname -s)"
platform_of() {
  case "$1" in
    x86_64-pc-windows-msvc) echo Win64 ;;
    *windows*) echo "stage-ue5-plugin: $1 is not usable by Unreal's Win64 (MSVC) build; use x86_64-pc-windows-msvc" >&2; exit 2 ;;
    *apple-darwin*) echo Mac ;;
    *-linux-gnu*) echo Linux ;;
    "") case "$host_os" in
          Linux) echo Linux ;; Darwin) echo Mac ;; MINGW*|MSYS*|CYGWIN*) echo Win64 ;;
          *) echo "stage-ue5-plugin: unsupported host $host_os" >&2; exit 2 ;;
        esac ;;
    *) echo "stage-ue5-plugin: unsupported target $1" >&2; exit 2 ;;
  esac
}
platform="$(platform_of "$target")"
bin="$plugin/Binaries/ThirdParty/TowerFFI"

need() {
  [ -f "$1" ] || { echo "stage-ue5-plugin: the build made no $1 ($2)" >&2; exit 1; }
}

if [ -n "$glibc" ] && [ "$platform" != Linux ]; then
  echo "stage-ue5-plugin: --glibc is for Linux targets only" >&2
  exit 2
fi
# The shipped Linux library gets the old baseline whenever the tool for it is there.
default_glibc=2.17
if [ "$platform" = Linux ] && [ -z "$glibc" ] && [ "$profile" = release ]; then
  if command -v cargo-zigbuild >/dev/null; then
    glibc=$default_glibc
  else
    echo "stage-ue5-plugin: warning: cargo-zigbuild not found; this .so needs this machine's" \
      "glibc or newer (pip install cargo-zigbuild ziglang for a glibc $default_glibc baseline)" >&2
  fi
fi
[ "$glibc" != native ] || glibc=""

case "$platform" in
  Win64)
    out="$(build "$target")"
    need "$out/tower_ffi.dll.lib" "a windows-gnu toolchain? Unreal needs the MSVC import library"
    mkdir -p "$bin/Win64"
    cp "$out/tower_ffi.dll" "$out/tower_ffi.dll.lib" "$bin/Win64/"
    if [ -f "$out/tower_ffi.pdb" ]; then cp "$out/tower_ffi.pdb" "$bin/Win64/"; fi
    staged="$bin/Win64/tower_ffi.dll"
    ;;
  Mac)
    mkdir -p "$bin/Mac"
    staged="$bin/Mac/libtower_ffi.dylib"
    installed="$(rustup target list --installed 2>/dev/null || true)"
    if [ -z "$target" ] && grep -q aarch64-apple-darwin <<<"$installed" && grep -q x86_64-apple-darwin <<<"$installed"; then
      arm="$(build aarch64-apple-darwin)"
      x86="$(build x86_64-apple-darwin)"
      lipo -create "$arm/libtower_ffi.dylib" "$x86/libtower_ffi.dylib" -output "$staged"
    else
      out="$(build "$target")"
      cp "$out/libtower_ffi.dylib" "$staged"
    fi
    ;;
  Linux)
    arch="${target%%-*}"
    [ -n "$arch" ] || arch="$(uname -m)"
    # The folder names TowerFFI.Build.cs uses (Unreal's Linux and LinuxArm64 architectures).
    case "$arch" in
      x86_64) ue_arch=x86_64-unknown-linux-gnu ;;
      aarch64|arm64) ue_arch=aarch64-unknown-linux-gnueabi ;;
      *) echo "stage-ue5-plugin: unsupported Linux architecture $arch" >&2; exit 2 ;;
    esac
    if [ -n "$glibc" ] && [ -z "$target" ]; then
      target="$arch-unknown-linux-gnu"
    fi
    out="$(build "$target")"
    mkdir -p "$bin/Linux/$ue_arch"
    staged="$bin/Linux/$ue_arch/libtower_ffi.so"
    cp "$out/libtower_ffi.so" "$staged"
    ;;
esac

mkdir -p "$plugin/Source/ThirdParty/TowerFFI/include"
cp "$repo/ffi/include/tower.h" "$plugin/Source/ThirdParty/TowerFFI/include/tower.h"
echo "staged $profile tower_ffi for $platform: $staged"
[ -z "$glibc" ] || echo "linked against glibc $glibc"
echo "staged header: $plugin/Source/ThirdParty/TowerFFI/include/tower.h"
