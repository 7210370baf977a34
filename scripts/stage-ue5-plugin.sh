#!/usr/bin/env bash
# Builds tower-ffi for this machine (or --target TRIPLE) and stages the shared library and
# the header into the Unreal plugin, where TowerFFI.Build.cs and the module look for them:
#
#   <plugin>/Source/ThirdParty/TowerFFI/include/tower.h
#   <plugin>/Binaries/ThirdParty/TowerFFI/Win64/tower_ffi.dll + tower_ffi.dll.lib
#   <plugin>/Binaries/ThirdParty/TowerFFI/Mac/libtower_ffi.dylib      (universal on macOS)
#   <plugin>/Binaries/ThirdParty/TowerFFI/Linux/x86_64-unknown-linux-gnu/libtower_ffi.so
#
# Usage: scripts/stage-ue5-plugin.sh [--debug] [--target TRIPLE] [--plugin-dir DIR]
#   --debug        stage a debug build (default: release)
#   --target T     cross-build for T (e.g. x86_64-pc-windows-msvc); default: the host
#   --plugin-dir D the TowerGame plugin folder to stage into (default: ue5-plugin/TowerGame,
#                  e.g. MyProject/Plugins/TowerGame for a copy inside a project)
# On macOS with both apple targets installed (rustup target add aarch64-apple-darwin
# x86_64-apple-darwin) it builds both and joins them with lipo into one universal dylib.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"

profile=release
target=""
plugin="$repo/ue5-plugin/TowerGame"
while [ $# -gt 0 ]; do
  case "$1" in
    --debug) profile=debug ;;
    --target) target="${2:?--target needs a triple}"; shift ;;
    --plugin-dir) plugin="${2:?--plugin-dir needs a folder}"; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "stage-ue5-plugin: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

target_dir="${CARGO_TARGET_DIR:-$repo/target}"
profile_flag=()
[ "$profile" = release ] && profile_flag=(--release)

# Builds tower-ffi for one triple (or the host when empty); prints the output folder.
build() {
  local triple=$1
  if [ -n "$triple" ]; then
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
    *windows*) echo Win64 ;;
    *apple-darwin*) echo Mac ;;
    *linux*) echo Linux ;;
    "") case "$host_os" in
          Linux) echo Linux ;; Darwin) echo Mac ;; MINGW*|MSYS*|CYGWIN*) echo Win64 ;;
          *) echo "stage-ue5-plugin: unsupported host $host_os" >&2; exit 2 ;;
        esac ;;
    *) echo "stage-ue5-plugin: unsupported target $1" >&2; exit 2 ;;
  esac
}
platform="$(platform_of "$target")"
bin="$plugin/Binaries/ThirdParty/TowerFFI"

case "$platform" in
  Win64)
    out="$(build "$target")"
    mkdir -p "$bin/Win64"
    cp "$out/tower_ffi.dll" "$out/tower_ffi.dll.lib" "$bin/Win64/"
    [ -f "$out/tower_ffi.pdb" ] && cp "$out/tower_ffi.pdb" "$bin/Win64/"
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
    case "$arch" in
      x86_64) ue_arch=x86_64-unknown-linux-gnu ;;
      aarch64) ue_arch=aarch64-unknown-linux-gnueabi ;;
      *) echo "stage-ue5-plugin: unsupported Linux architecture $arch" >&2; exit 2 ;;
    esac
    out="$(build "$target")"
    mkdir -p "$bin/Linux/$ue_arch"
    staged="$bin/Linux/$ue_arch/libtower_ffi.so"
    cp "$out/libtower_ffi.so" "$staged"
    ;;
esac

mkdir -p "$plugin/Source/ThirdParty/TowerFFI/include"
cp "$repo/ffi/include/tower.h" "$plugin/Source/ThirdParty/TowerFFI/include/tower.h"
echo "staged $profile tower_ffi for $platform: $staged"
echo "staged header: $plugin/Source/ThirdParty/TowerFFI/include/tower.h"
