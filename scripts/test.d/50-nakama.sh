#!/usr/bin/env bash
# Nakama checks beyond `cargo test --workspace` (whose meta/ and lobby/ tests already run the
# real native stack):
#  1. Lua modules: syntax (luac5.1; gopher-lua is Lua 5.1), and a module that fails to load
#     makes the stack refuse to start (so every test that starts it would fail);
#  2. scripts/nakama-stack.sh starts and stops the stack and leaves nothing running.
# docker-compose.yml is checked (and run) by scripts/test.d/70-compose.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."

NAKAMA_BIN=${TOWER_NAKAMA_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/tower/nakama-v3.40.0/nakama}

echo "-- Lua syntax"
for f in nakama/modules/*.lua; do luac5.1 -p "$f"; done

echo "-- a module that fails to load makes the stack refuse to start (so the tests catch it)"
dir=$(mktemp -d)
broken=$(mktemp -d)
trap 'scripts/nakama-stack.sh stop "$dir" >/dev/null 2>&1 || true; scripts/nakama-stack.sh stop "$broken/stack" >/dev/null 2>&1 || true; rm -rf "$dir" "$broken"' EXIT
chmod a+rx "$broken"
mkdir "$broken/modules"
cp nakama/modules/*.lua "$broken/modules/"
echo 'require("nakama").register_rpc(undefined_function, "broken")' >"$broken/modules/broken.lua"
if TOWER_NAKAMA_MODULES="$broken/modules" TOWER_NAKAMA_BIN="$NAKAMA_BIN" \
    scripts/nakama-stack.sh start "$broken/stack" >"$broken/out.log" 2>&1; then
  echo "the stack started with a broken module" >&2; exit 1
fi
grep -q "Failed initializing runtime modules" "$broken/out.log" || { cat "$broken/out.log" >&2; exit 1; }
scripts/nakama-stack.sh stop "$broken/stack"

echo "-- native stack start/stop"
TOWER_NAKAMA_BIN="$NAKAMA_BIN" scripts/nakama-stack.sh start "$dir" >/dev/null
# shellcheck disable=SC1091
. "$dir/stack.env"
curl -fsS -o /dev/null "$NAKAMA_HTTP_URL/healthcheck"
answer=$(curl -fsS "$NAKAMA_HTTP_URL/v2/rpc/tower_server_list?http_key=$HTTP_KEY&unwrap" -d '{}')
echo "registry: $answer"
# A wrong http_key is refused.
code=$(curl -s -o /dev/null -w '%{http_code}' "$NAKAMA_HTTP_URL/v2/rpc/tower_server_list?http_key=wrong&unwrap" -d '{}')
[ "$code" = 401 ] || { echo "wrong http_key answered $code, expected 401" >&2; exit 1; }
scripts/nakama-stack.sh stop "$dir"
if [ -f "$dir/nakama.pid" ] || [ -f "$dir/pg/postmaster.pid" ]; then
  echo "stack did not stop cleanly" >&2; exit 1
fi

