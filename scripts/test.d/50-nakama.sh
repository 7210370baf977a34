#!/usr/bin/env bash
# Nakama checks beyond `cargo test --workspace` (whose meta/ and lobby/ tests already run the
# real native stack):
#  1. Lua modules: syntax (luac5.1; gopher-lua is Lua 5.1), and a module that fails to load
#     makes the stack refuse to start (so every test that starts it would fail);
#  2. scripts/nakama-stack.sh starts and stops the stack and leaves nothing running; its
#     PostgreSQL refuses a wrong password; a ticket key under 32 bytes is refused by the
#     script and by Tower's Lua modules (Nakama does not start), and so is an unknown
#     placement policy (tower_placement);
#  3. no secret on any command line (issue 28): with the stack and a tower-server started from
#     the stack's own tower.toml, every process's /proc/PID/cmdline is scanned for every key
#     and password; `start` prints none of them; stack.env, nakama.yml and tower.toml are 0600;
#     and Nakama's API answers over TLS with the stack's CA (and not without it).
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
# Secrets through a 0600 config file, as the stack script passes them (never in argv).
secrets_yml() { # ticket_key [placement]
  (umask 077; printf 'database:\n  address:\n    - "postgres:%s@127.0.0.1:%s/nakama?sslmode=disable"\nruntime:\n  http_key: "%s"\n  env:\n    - "tower_ticket_key=%s"\n    - "tower_placement=%s"\n' \
    "$PG_PASSWORD" "$PG_PORT" "$HTTP_KEY" "$1" "${2:-least_loaded}" >"$broken/secrets.yml")
}
secrets_yml short
if timeout 60 "$NAKAMA_BIN" --config nakama/tower.yml --config "$broken/secrets.yml" \
    --data_dir "$broken/weak-data" --logger.file "$broken/weak-nakama.log" \
    --socket.address 127.0.0.1 --socket.port "$weak_port" --console.address 127.0.0.1 \
    --runtime.path "$PWD/nakama/modules" >"$broken/weak-nakama.out" 2>&1; then
  echo "Nakama ran with a short ticket key" >&2; exit 1
fi
grep -qh "tower_ticket_key must be at least 32 bytes" "$broken/weak-nakama.out" "$broken/weak-nakama.log" \
  || { tail -n 20 "$broken/weak-nakama.out" >&2; exit 1; }

echo "-- an unknown placement policy is refused at load, naming the knob"
secrets_yml "$TICKET_KEY" random
if timeout 60 "$NAKAMA_BIN" --config nakama/tower.yml --config "$broken/secrets.yml" \
    --data_dir "$broken/policy-data" --logger.file "$broken/policy-nakama.log" \
    --socket.address 127.0.0.1 --socket.port "$weak_port" --console.address 127.0.0.1 \
    --runtime.path "$PWD/nakama/modules" >"$broken/policy-nakama.out" 2>&1; then
  echo "Nakama ran with tower_placement=random" >&2; exit 1
fi
grep -qh "runtime env tower_placement must be" "$broken/policy-nakama.out" "$broken/policy-nakama.log" \
  || { tail -n 20 "$broken/policy-nakama.out" >&2; exit 1; }
scripts/nakama-stack.sh stop "$dir"

echo "-- no secret on any command line; start prints none; the stack's secret files are 0600"
secrets=$(mktemp -d)
trap 'kill "${server_pid:-}" 2>/dev/null || true; scripts/nakama-stack.sh stop "$dir" >/dev/null 2>&1 || true; scripts/nakama-stack.sh stop "$broken/stack" >/dev/null 2>&1 || true; rm -rf "$dir" "$broken" "$secrets"' EXIT
TOWER_NAKAMA_BIN="$NAKAMA_BIN" scripts/nakama-stack.sh start "$dir" >"$secrets/start.out"
# shellcheck disable=SC1091
. "$dir/stack.env"
for f in stack.env nakama.yml tower.toml tls/server.key tls/ca.key; do
  [ "$(stat -c %a "$dir/$f")" = 600 ] || { echo "$f is $(stat -c %a "$dir/$f"), not 0600" >&2; exit 1; }
done
server_bin=${TOWER_SERVER_BIN:-target/debug/tower-server}
[ -x "$server_bin" ] || cargo build -q -p tower-server
game_port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# The stack's own tower.toml, as printed in its "next" block (only the ports moved).
"$server_bin" --config "$dir/tower.toml" --listen "127.0.0.1:$game_port" \
  --metrics-listen 127.0.0.1:0 >"$secrets/server.log" 2>&1 &
server_pid=$!
live=
for _ in $(seq 100); do
  # The http_key goes through a curl config file, not curl's own argv.
  list=$(curl -fsS -K - <<<"url = \"$NAKAMA_HTTP_URL/v2/rpc/tower_server_list?http_key=$HTTP_KEY&unwrap\"
data = \"{}\"" 2>/dev/null) || list='{}'
  if grep -q '"id":"tower-1"' <<<"$list"; then live=1; break; fi
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.2
done
[ -n "$live" ] || { tail -n 20 "$secrets/server.log" >&2; echo "tower-server from the stack's tower.toml never registered" >&2; exit 1; }
python3 - "$dir" "$server_pid" "$secrets/start.out" <<'PY'
import os, sys
stack, server_pid, start_out = sys.argv[1:]
env = dict(l.rstrip("\n").split("=", 1) for l in open(f"{stack}/stack.env") if "=" in l)
names = ["HTTP_KEY", "TICKET_KEY", "SESSION_KEY", "REFRESH_KEY", "CONSOLE_PASSWORD", "PG_PASSWORD"]
secrets = {n: env[n] for n in names}
assert all(len(v) >= 32 for v in secrets.values()), "short or missing secrets"
out = open(start_out).read()
for n, v in secrets.items():
    assert v not in out, f"`start` printed {n}"
found = {"nakama": 0, "postgres": 0, "nginx": 0, "tower-server": 0}
scanned = 0
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        argv = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        continue
    scanned += 1
    for n, v in secrets.items():
        assert v not in argv, f"{n} is in the arguments of pid {pid}: {argv[:100]}"
    if stack in argv or pid == server_pid:
        for name in found:
            if name in argv.split(" ")[0] or (name == "tower-server" and pid == server_pid):
                found[name] += 1
assert all(found.values()), f"not every process of the stack was scanned: {found}"
print(f"{scanned} processes scanned ({found}): no secret in any argv; `start` printed none")
PY
# TLS: the API answers with the stack's CA, and refuses to be trusted without it.
curl -fsS --cacert "$NAKAMA_CA" -o /dev/null "$NAKAMA_HTTPS_URL/healthcheck"
if curl -fsS -o /dev/null "$NAKAMA_HTTPS_URL/healthcheck" 2>/dev/null; then
  echo "the TLS port was trusted without the stack's CA" >&2; exit 1
fi
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true

echo "-- the game server's gRPC to Nakama is TLS (nginx, the stack's CA); refused without the CA"
# The tower-server above registered through the stack's tower.toml: https + grpc_ca.
grep -q "^grpc_url = \"https://127.0.0.1:$GRPC_TLS_PORT\"" "$dir/tower.toml"
grep -q "^grpc_ca = \"$NAKAMA_CA\"" "$dir/tower.toml"
grep "registered with nakama" "$secrets/server.log" | grep -q "https://127.0.0.1:$GRPC_TLS_PORT" \
  || { tail -n 5 "$secrets/server.log" >&2; echo "tower-server did not register over TLS gRPC" >&2; exit 1; }
# Without grpc_ca (the system roots only) the stack's certificate is refused at start-up.
(umask 077; grep -v '^grpc_ca = ' "$dir/tower.toml" >"$secrets/noca.toml")
if timeout 60 "$server_bin" --config "$secrets/noca.toml" --listen "127.0.0.1:$game_port" \
    --metrics-listen 127.0.0.1:0 >"$secrets/noca.log" 2>&1; then
  echo "tower-server started without the CA of Nakama's gRPC certificate" >&2; exit 1
fi
grep -qi "certificate" "$secrets/noca.log" \
  || { tail -n 5 "$secrets/noca.log" >&2; echo "the refusal does not name the certificate" >&2; exit 1; }
echo "without grpc_ca: $(grep -io 'invalid peer certificate[^"]*' "$secrets/noca.log" | head -n1)"
# Plain gRPC to a host that is not loopback is refused before connecting.
(umask 077; sed -e 's|^grpc_url = .*|grpc_url = "http://nakama.example:7349"|' -e '/^grpc_ca = /d' \
  "$dir/tower.toml" >"$secrets/plain.toml")
if timeout 60 "$server_bin" --config "$secrets/plain.toml" --listen "127.0.0.1:$game_port" \
    --metrics-listen 127.0.0.1:0 >"$secrets/plain.log" 2>&1; then
  echo "tower-server started with plain gRPC to a remote host" >&2; exit 1
fi
grep -q "plain http carries the http key in clear" "$secrets/plain.log" \
  || { tail -n 5 "$secrets/plain.log" >&2; echo "plain remote gRPC not refused clearly" >&2; exit 1; }
scripts/nakama-stack.sh stop "$dir"
if [ -f "$dir/nakama.pid" ] || [ -f "$dir/nginx.pid" ] || [ -f "$dir/pg/postmaster.pid" ]; then
  echo "stack did not stop cleanly" >&2; exit 1
fi

