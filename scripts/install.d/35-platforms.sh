#!/usr/bin/env bash
# Tools for stage 35 (scripts/test.d/35-platforms.sh): the floors on other platforms.
#  - rustup targets: x86_64-pc-windows-gnu, aarch64/i686/s390x Linux, wasm32-wasip1;
#  - Debian packages: the cross linkers (mingw-w64, aarch64/i686/s390x gcc), qemu-user
#    (runs the Linux binaries of other architectures) and wine64 8.0 (runs the Windows ones);
#  - a WASI runtime: wasmtime, from PyPI's `wasmtime` package (its wheel ships the
#    wasmtime library, so nothing is compiled; scripts/platforms/wasi-run.py drives it).
# Idempotent and quiet when everything is already there.
set -euo pipefail
. "$(dirname "$0")/../lib/apt.sh"

WASMTIME_PY_VERSION=50.0.1
TARGETS=(x86_64-pc-windows-gnu aarch64-unknown-linux-gnu i686-unknown-linux-gnu
  s390x-unknown-linux-gnu wasm32-wasip1)

installed_targets=$(rustup target list --installed)
for t in "${TARGETS[@]}"; do
  if ! grep -qx "$t" <<<"$installed_targets"; then
    echo "rustup target add $t"
    rustup target add "$t" >/dev/null
  fi
done

missing=()
command -v x86_64-w64-mingw32-gcc >/dev/null || missing+=(gcc-mingw-w64-x86-64)
# Each Linux cross gcc with its target's C library (headers, crt files, and the shared
# libraries qemu-user loads through -L /usr/<triple>).
for arch in aarch64:arm64 i686:i386 s390x:s390x; do
  gnu=${arch%%:*}-linux-gnu
  command -v "$gnu-gcc" >/dev/null || missing+=("gcc-$gnu")
  [ -e "/usr/$gnu/lib/libc.so" ] || missing+=("libc6-dev-${arch#*:}-cross")
done
command -v qemu-s390x >/dev/null || missing+=(qemu-user)
[ -x /usr/lib/wine/wine64 ] || missing+=(wine64)
apt_install ${missing[@]+"${missing[@]}"}

if [ "$(python3 -c 'import importlib.metadata as m; print(m.version("wasmtime"))' 2>/dev/null)" != "$WASMTIME_PY_VERSION" ]; then
  echo "installing wasmtime $WASMTIME_PY_VERSION (PyPI)"
  python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore "wasmtime==$WASMTIME_PY_VERSION"
fi
