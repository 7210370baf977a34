#!/usr/bin/env bash
# Installs the native Nakama stack used by the tests and by scripts/nakama-stack.sh:
#  - PostgreSQL and the stage's tools from Debian's packages, when missing;
#  - Nakama v3.40.0 built from its Go module (the image heroiclabs/nakama:3.40.0 cannot be
#    pulled here). `go install ...@v3.40.0` needs the proxy's version list, which may be
#    refused, so the exact module version is downloaded and built in a scratch copy.
# Idempotent: does nothing when both are present with the right version.
set -euo pipefail
. "$(dirname "$0")/../lib/apt.sh"

NAKAMA_VERSION=v3.40.0
NAKAMA_HOME=${TOWER_NAKAMA_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/tower/nakama-$NAKAMA_VERSION}
NAKAMA_BIN=$NAKAMA_HOME/nakama

# Debian packages: PostgreSQL (the stack's database), curl and python3 (the stack script),
# nginx-light and openssl (the stack's TLS port for Nakama's API and its certificate),
# lua5.1 (luac syntax check) and docker-compose (validates docker-compose.yml; no engine).
missing=()
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
command -v curl >/dev/null || missing+=(curl)
command -v python3 >/dev/null || missing+=(python3)
command -v openssl >/dev/null || missing+=(openssl)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || missing+=(nginx-light)
command -v luac5.1 >/dev/null || missing+=(lua5.1)
command -v docker-compose >/dev/null || missing+=(docker-compose)
python3 -c 'import yaml' 2>/dev/null || missing+=(python3-yaml)
if [ ${#missing[@]} -gt 0 ]; then
  apt_install "${missing[@]}"
  # The Debian package may start a cluster of its own; the stack script runs a private one.
  # The same for nginx's default site: the stack script runs its own nginx.
  for unit in /etc/init.d/postgresql* /etc/init.d/nginx; do [ -x "$unit" ] && "$unit" stop >/dev/null 2>&1 || true; done
fi
if ! id postgres >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
  useradd --system --no-create-home --shell /usr/sbin/nologin postgres
fi

if [ -x "$NAKAMA_BIN" ] && [ -f "$NAKAMA_HOME/VERSION" ] && [ "$(cat "$NAKAMA_HOME/VERSION")" = "$NAKAMA_VERSION" ]; then
  exit 0
fi

command -v go >/dev/null || { echo "error: Go is needed to build Nakama" >&2; exit 1; }
echo "building Nakama $NAKAMA_VERSION (a few minutes, once)"
mkdir -p "$NAKAMA_HOME"
scratch=$(mktemp -d)
trap 'chmod -R u+w "$scratch" 2>/dev/null; rm -rf "$scratch"' EXIT
if GOBIN="$scratch/bin" go install -ldflags "-X main.version=${NAKAMA_VERSION#v} -X main.commitID=$NAKAMA_VERSION" \
    "github.com/heroiclabs/nakama/v3@$NAKAMA_VERSION" 2>"$scratch/install.log"; then
  mv "$scratch/bin/nakama" "$NAKAMA_BIN.tmp"
else
  echo "go install refused ($(tail -n1 "$scratch/install.log")); building from the module download"
  src=$(go mod download -json "github.com/heroiclabs/nakama/v3@$NAKAMA_VERSION" \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  [ -d "$src" ] || { echo "error: go mod download gave no source directory" >&2; exit 1; }
  cp -r "$src" "$scratch/src"
  chmod -R u+w "$scratch/src"
  # The version strings Nakama reports (its release builds set them the same way).
  (cd "$scratch/src" && go build -trimpath \
    -ldflags "-X main.version=${NAKAMA_VERSION#v} -X main.commitID=$NAKAMA_VERSION" \
    -o "$NAKAMA_BIN.tmp" .)
fi
mv "$NAKAMA_BIN.tmp" "$NAKAMA_BIN"
echo "$NAKAMA_VERSION" >"$NAKAMA_HOME/VERSION"
echo "nakama $NAKAMA_VERSION installed at $NAKAMA_BIN"
