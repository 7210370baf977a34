#!/usr/bin/env bash
# Cargo runner for x86_64-pc-windows-gnu: runs a Windows .exe under wine64 (Debian's wine
# 8.0), with the ProcessPrng shim DLL (bcryptprimitives.c) copied next to it first.
# Needs TOWER_WINE_SHIM (the built shim DLL) and WINEPREFIX (a prefix of our own) in the
# environment; scripts/test.d/35-platforms.sh sets both.
set -euo pipefail
exe=$1
shift
: "${TOWER_WINE_SHIM:?set TOWER_WINE_SHIM to the built bcryptprimitives.dll}"
: "${WINEPREFIX:?set WINEPREFIX}"
cp -f "$TOWER_WINE_SHIM" "$(dirname "$exe")/bcryptprimitives.dll"
export WINEDEBUG=-all
# No Mono/Gecko installer prompts when a prefix is first created.
export WINEDLLOVERRIDES="mscoree,mshtml="
exec /usr/lib/wine/wine64 "$exe" "$@"
