#!/usr/bin/env bash
# Nakama checks beyond `cargo test --workspace` (whose meta/ and lobby/ tests already run the
# real native stack):
#  1. Lua modules: syntax (luac5.1; gopher-lua is Lua 5.1), and a module that fails to load
#     makes the stack refuse to start (so every test that starts it would fail);
#  2. scripts/nakama-stack.sh starts and stops the stack and leaves nothing running; its
#     PostgreSQL refuses a wrong password; a ticket key under 32 bytes is refused by the
#     script and by Tower's Lua modules (Nakama does not start), and so is an unknown
#     placement policy (tower_placement).
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
[ "$(stat -c %a "$dir/stack.env")" = 600 ] || { echo "stack.env is not private" >&2; exit 1; }

echo "-- PostgreSQL requires the stack's password"
psql=$(ls -d /usr/lib/postgresql/*/bin/psql | sort -V | tail -n1)
if PGPASSWORD=wrong "$psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d nakama -c 'select 1' >/dev/null 2>&1; then
  echo "PostgreSQL accepted a wrong password" >&2; exit 1
fi
PGPASSWORD=$PG_PASSWORD "$psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d nakama -tAc 'select 1' >/dev/null

echo "-- a ticket key under 32 bytes is refused (script, and Tower's modules at load)"
if TOWER_TICKET_KEY=short TOWER_NAKAMA_BIN="$NAKAMA_BIN" scripts/nakama-stack.sh start "$broken/weak" >"$broken/weak.out" 2>&1; then
  echo "the stack started with a short ticket key" >&2; exit 1
fi
grep -q "TOWER_TICKET_KEY must be at least 32 bytes" "$broken/weak.out" || { cat "$broken/weak.out" >&2; exit 1; }
# Nakama itself, on the running stack's database, with a short key: the modules refuse to load.
weak_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
if timeout 60 "$NAKAMA_BIN" --config nakama/tower.yml --data_dir "$broken/weak-data" \
    --logger.file "$broken/weak-nakama.log" \
    --database.address "postgres:$PG_PASSWORD@127.0.0.1:$PG_PORT/nakama?sslmode=disable" \
    --socket.address 127.0.0.1 --socket.port "$weak_port" --console.address 127.0.0.1 \
    --runtime.path "$PWD/nakama/modules" --runtime.http_key "$HTTP_KEY" \
    --runtime.env "tower_ticket_key=short" >"$broken/weak-nakama.out" 2>&1; then
  echo "Nakama ran with a short ticket key" >&2; exit 1
fi
grep -qh "tower_ticket_key must be at least 32 bytes" "$broken/weak-nakama.out" "$broken/weak-nakama.log" \
  || { tail -n 20 "$broken/weak-nakama.out" >&2; exit 1; }

echo "-- an unknown placement policy is refused at load, naming the knob"
if timeout 60 "$NAKAMA_BIN" --config nakama/tower.yml --data_dir "$broken/policy-data" \
    --logger.file "$broken/policy-nakama.log" \
    --database.address "postgres:$PG_PASSWORD@127.0.0.1:$PG_PORT/nakama?sslmode=disable" \
    --socket.address 127.0.0.1 --socket.port "$weak_port" --console.address 127.0.0.1 \
    --runtime.path "$PWD/nakama/modules" --runtime.http_key "$HTTP_KEY" \
    --runtime.env "tower_ticket_key=$TICKET_KEY" --runtime.env "tower_placement=random" \
    >"$broken/policy-nakama.out" 2>&1; then
  echo "Nakama ran with tower_placement=random" >&2; exit 1
fi
grep -qh "runtime env tower_placement must be" "$broken/policy-nakama.out" "$broken/policy-nakama.log" \
  || { tail -n 20 "$broken/policy-nakama.out" >&2; exit 1; }
scripts/nakama-stack.sh stop "$dir"
if [ -f "$dir/nakama.pid" ] || [ -f "$dir/pg/postmaster.pid" ]; then
  echo "stack did not stop cleanly" >&2; exit 1
fi

