#!/usr/bin/env bash
# The native meta-service stack: a private PostgreSQL cluster, `nakama migrate up`, and Nakama
# with Tower's Lua modules (nakama/modules) and settings (nakama/tower.yml), all on free
# loopback ports, all data under one directory.
#
#   scripts/nakama-stack.sh start [DIR]         start everything (DIR defaults to .stack/)
#   scripts/nakama-stack.sh stop [DIR]          stop everything (keeps DIR's data)
#   scripts/nakama-stack.sh stop-nakama DIR     stop only Nakama (outage tests)
#   scripts/nakama-stack.sh start-nakama DIR    start Nakama again on the same ports
#   scripts/nakama-stack.sh env [DIR]           print the stack's connection settings
#
# `start` writes DIR/stack.env (KEY=VALUE lines: ports, URLs, keys; mode 0600) and prints it.
# Keys come from the environment (TOWER_SERVER_KEY, TOWER_HTTP_KEY, TOWER_SESSION_KEY,
# TOWER_REFRESH_KEY, TOWER_TICKET_KEY, TOWER_CONSOLE_PASSWORD); each one not given is 32 random
# bytes (hex), kept in DIR/stack.env across restarts of the same DIR. The ticket and http keys
# must be at least 32 bytes (Tower's Lua modules refuse to load otherwise).
# PostgreSQL requires a password (scram-sha-256, random, PG_PASSWORD in stack.env) for every
# connection, local socket included: no trust authentication.
# Other knobs: TOWER_NAKAMA_BIN, TOWER_NAKAMA_MODULES, TOWER_SERVER_TTL_SEC (registry liveness, default 15),
# TOWER_TICKET_TTL_SEC (default 30, at most 60), TOWER_PLACEMENT (least_loaded or pack, default
# least_loaded), TOWER_PACK_SOFT_CAP (pack's soft cap: fraction of capacity or a player count,
# default 0.8); see docs/nakama.md "Placement".
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
NAKAMA_VERSION=v3.40.0
MODULES=${TOWER_NAKAMA_MODULES:-$ROOT/nakama/modules}
NAKAMA_BIN=${TOWER_NAKAMA_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/tower/nakama-$NAKAMA_VERSION/nakama}

die() { echo "nakama-stack: $*" >&2; exit 1; }

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
  [ -n "$dir" ] || die "PostgreSQL is not installed (run scripts/install.d/50-nakama.sh)"
  echo "$dir"
}

# PostgreSQL refuses to run as root: as root, run its tools as the `postgres` user.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A free TCP port on 127.0.0.1 such that port-OFFSET is free too (Nakama listens on
# socket.port-1 for gRPC and console.port-3 for the console's gRPC).
free_port() {
  python3 - "$1" <<'PY'
import socket, sys
offset = int(sys.argv[1])
def free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); return True
    except OSError:
        return False
    finally:
        s.close()
for _ in range(200):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close()
    if p - offset > 1024 and free(p) and free(p - offset):
        print(p); sys.exit(0)
sys.exit("no free port pair found")
PY
}

wait_http() { # url seconds pid: fails at the deadline or as soon as pid exits
  local deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null "$1" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || return 1
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.2
  done
}

load_env() {
  [ -f "$DIR/stack.env" ] || die "no stack in $DIR (start it first)"
  # shellcheck disable=SC1091
  . "$DIR/stack.env"
}

start_postgres() {
  local bin; bin=$(pg_bin)
  if [ ! -f "$DIR/pg/PG_VERSION" ]; then
    mkdir -p "$DIR/pg"
    if [ "$(id -u)" -eq 0 ]; then
      chown postgres: "$DIR/pg"
      chmod a+rx "$DIR"
      runuser -u postgres -- test -x "$DIR" \
        || die "the postgres user cannot reach $DIR: use a directory whose parents are world-searchable"
    fi
    local pwfile; pwfile=$(mktemp)
    printf '%s\n' "$PG_PASSWORD" >"$pwfile"
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$pwfile"; fi
    as_pg "$bin/initdb" -D "$DIR/pg" -U postgres --auth=scram-sha-256 --pwfile="$pwfile" \
      -E UTF8 --no-sync >"$DIR/initdb.log" 2>&1 \
      || { rm -f "$pwfile"; cat "$DIR/initdb.log" >&2; die "initdb failed"; }
    rm -f "$pwfile"
  fi
  as_pg "$bin/pg_ctl" -D "$DIR/pg" -l "$DIR/pg/postgres.log" -w -t 60 \
    -o "-p $PG_PORT -k $DIR/pg -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off" \
    start >/dev/null || { tail -n 20 "$DIR/pg/postgres.log" >&2; die "PostgreSQL did not start"; }
}

stop_postgres() {
  local bin; bin=$(pg_bin)
  if [ -f "$DIR/pg/postmaster.pid" ]; then as_pg "$bin/pg_ctl" -D "$DIR/pg" -m fast -w stop >/dev/null || true; fi
}

nakama_flags() {
  echo --config "$ROOT/nakama/tower.yml" \
    --data_dir "$DIR/nakama-data" \
    --logger.file "$DIR/nakama.log" \
    --database.address "postgres:$PG_PASSWORD@127.0.0.1:$PG_PORT/nakama?sslmode=disable"
}

start_nakama() {
  [ -x "$NAKAMA_BIN" ] || die "no Nakama binary at $NAKAMA_BIN (run scripts/install.d/50-nakama.sh)"
  mkdir -p "$DIR/nakama-data"
  # shellcheck disable=SC2046
  "$NAKAMA_BIN" migrate up $(nakama_flags) >"$DIR/migrate.log" 2>&1 \
    || { tail -n 20 "$DIR/migrate.log" >&2; die "nakama migrate up failed"; }
  # shellcheck disable=SC2046
  setsid "$NAKAMA_BIN" $(nakama_flags) \
    --socket.address 127.0.0.1 --socket.port "$NAKAMA_PORT" \
    --socket.server_key "$SERVER_KEY" \
    --console.address 127.0.0.1 --console.port "$CONSOLE_PORT" \
    --console.username admin --console.password "$CONSOLE_PASSWORD" \
    --console.signing_key "$SESSION_KEY-console" \
    --session.encryption_key "$SESSION_KEY" --session.refresh_encryption_key "$REFRESH_KEY" \
    --runtime.path "$MODULES" --runtime.http_key "$HTTP_KEY" \
    --runtime.env "tower_ticket_key=$TICKET_KEY" \
    --runtime.env "tower_server_ttl_sec=$SERVER_TTL_SEC" \
    --runtime.env "tower_ticket_ttl_sec=$TICKET_TTL_SEC" \
    --runtime.env "tower_placement=${PLACEMENT:-least_loaded}" \
    --runtime.env "tower_pack_soft_cap=${PACK_SOFT_CAP:-0.8}" \
    </dev/null >"$DIR/nakama.out" 2>&1 &
  local pid=$!
  echo $pid >"$DIR/nakama.pid"
  if ! wait_http "http://127.0.0.1:$NAKAMA_PORT/healthcheck" 60 "$pid"; then
    tail -n 30 "$DIR/nakama.out" "$DIR/nakama.log" >&2 2>/dev/null || true
    stop_nakama
    die "Nakama did not become healthy on port $NAKAMA_PORT"
  fi
}

stop_nakama() {
  [ -f "$DIR/nakama.pid" ] || return 0
  local pid; pid=$(cat "$DIR/nakama.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$DIR/nakama.pid"
}

# 32 random bytes as hex (64 characters).
random_key() { python3 -c 'import secrets; print(secrets.token_hex(32))'; }

# The value of KEY in a previous DIR/stack.env, if any (a restarted stack keeps its keys and
# its database password).
previous() { if [ -f "$DIR/stack.env" ]; then sed -n "s/^$1=//p" "$DIR/stack.env" | head -n1; fi; }

# $1 from the environment, else the previous run's value, else a fresh random key.
key() { local v=${!1:-}; [ -n "$v" ] || v=$(previous "$2"); [ -n "$v" ] || v=$(random_key); echo "$v"; }

require_strong() { # name value
  [ ${#2} -ge 32 ] || die "$1 must be at least 32 bytes (got ${#2}); omit it to get a random one"
}

cmd=${1:-}
DIR=${2:-$ROOT/.stack}
case "$cmd" in
  start)
    mkdir -p "$DIR"
    DIR=$(cd "$DIR" && pwd)
    [ ! -f "$DIR/nakama.pid" ] || die "a stack already runs in $DIR (stop it first)"
    command -v curl >/dev/null || die "curl is needed"
    PG_PORT=$(free_port 0); NAKAMA_PORT=$(free_port 1); CONSOLE_PORT=$(free_port 3)
    SERVER_KEY=$(key TOWER_SERVER_KEY SERVER_KEY)
    HTTP_KEY=$(key TOWER_HTTP_KEY HTTP_KEY)
    SESSION_KEY=$(key TOWER_SESSION_KEY SESSION_KEY)
    REFRESH_KEY=$(key TOWER_REFRESH_KEY REFRESH_KEY)
    TICKET_KEY=$(key TOWER_TICKET_KEY TICKET_KEY)
    CONSOLE_PASSWORD=$(key TOWER_CONSOLE_PASSWORD CONSOLE_PASSWORD)
    PG_PASSWORD=$(previous PG_PASSWORD); [ -n "$PG_PASSWORD" ] || PG_PASSWORD=$(random_key)
    require_strong TOWER_TICKET_KEY "$TICKET_KEY"
    require_strong TOWER_HTTP_KEY "$HTTP_KEY"
    SERVER_TTL_SEC=${TOWER_SERVER_TTL_SEC:-15}
    TICKET_TTL_SEC=${TOWER_TICKET_TTL_SEC:-30}
    PLACEMENT=${TOWER_PLACEMENT:-least_loaded}
    PACK_SOFT_CAP=${TOWER_PACK_SOFT_CAP:-0.8}
    (umask 077; : >"$DIR/stack.env")
    cat >"$DIR/stack.env" <<ENV
PG_PORT=$PG_PORT
NAKAMA_PORT=$NAKAMA_PORT
NAKAMA_GRPC_PORT=$((NAKAMA_PORT - 1))
CONSOLE_PORT=$CONSOLE_PORT
NAKAMA_HTTP_URL=http://127.0.0.1:$NAKAMA_PORT
NAKAMA_GRPC_URL=http://127.0.0.1:$((NAKAMA_PORT - 1))
SERVER_KEY=$SERVER_KEY
HTTP_KEY=$HTTP_KEY
SESSION_KEY=$SESSION_KEY
REFRESH_KEY=$REFRESH_KEY
TICKET_KEY=$TICKET_KEY
CONSOLE_PASSWORD=$CONSOLE_PASSWORD
PG_PASSWORD=$PG_PASSWORD
SERVER_TTL_SEC=$SERVER_TTL_SEC
TICKET_TTL_SEC=$TICKET_TTL_SEC
PLACEMENT=$PLACEMENT
PACK_SOFT_CAP=$PACK_SOFT_CAP
ENV
    start_postgres
    start_nakama
    cat "$DIR/stack.env"
    ;;
  stop)
    [ -d "$DIR" ] || exit 0
    DIR=$(cd "$DIR" && pwd)
    stop_nakama
    [ ! -f "$DIR/stack.env" ] || { load_env; stop_postgres; }
    ;;
  stop-nakama) DIR=$(cd "$DIR" && pwd); load_env; stop_nakama ;;
  start-nakama) DIR=$(cd "$DIR" && pwd); load_env; start_nakama ;;
  env) DIR=$(cd "$DIR" && pwd); load_env; cat "$DIR/stack.env" ;;
  *) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
