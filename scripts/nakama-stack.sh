#!/usr/bin/env bash
# The native meta-service stack: a private PostgreSQL cluster, `nakama migrate up`, and Nakama
# with Tower's Lua modules (nakama/modules) and settings (nakama/tower.yml), all on free
# loopback ports, all data under one directory.
#
#   scripts/nakama-stack.sh start [DIR]         start everything (DIR defaults to .stack/)
#   scripts/nakama-stack.sh stop [DIR]          stop everything (keeps DIR's data)
#   scripts/nakama-stack.sh stop-nakama DIR     stop only Nakama (outage tests)
#   scripts/nakama-stack.sh start-nakama DIR    start Nakama again on the same ports
#   scripts/nakama-stack.sh env [DIR]           print the stack's public settings (no secret)
#
# `start` writes, all mode 0600 and never on any command line (/proc/PID/cmdline is readable
# by every local user):
#   DIR/stack.env     KEY=VALUE lines: ports, URLs, keys (what tests and tools read);
#   DIR/nakama.yml    Nakama's secret settings (database address, keys), passed as --config;
#   DIR/tower.toml    a ready `[nakama]` config for tower-server against this stack (gRPC
#                     over TLS, grpc_ca = DIR/tls/ca.pem);
#   DIR/tls/          a CA (ca.pem is what clients trust) and the certificate of the TLS ports;
# and prints what to run next (never a secret). `env` prints the stack's public settings.
# Nakama's HTTP/websocket API is served over TLS (nginx on its own loopback port,
# NAKAMA_HTTPS_URL, certificate signed by DIR/tls/ca.pem), and so is its gRPC API (the same
# nginx, HTTP/2, NAKAMA_GRPC_TLS_URL: what the game server uses); the plain ports stay on
# 127.0.0.1 for local development. Needs openssl and nginx (scripts/install.d/50-nakama.sh).
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

# Nakama's secret settings, in a file only the stack's user can read (never on a command line).
write_nakama_config() {
  (umask 077; cat >"$DIR/nakama.yml" <<YML
# Written by scripts/nakama-stack.sh (mode 0600): this stack's secrets for Nakama.
database:
  address:
    - "postgres:$PG_PASSWORD@127.0.0.1:$PG_PORT/nakama?sslmode=disable"
socket:
  server_key: "$SERVER_KEY"
console:
  username: admin
  password: "$CONSOLE_PASSWORD"
  signing_key: "$SESSION_KEY-console"
session:
  encryption_key: "$SESSION_KEY"
  refresh_encryption_key: "$REFRESH_KEY"
runtime:
  http_key: "$HTTP_KEY"
  env:
    - "tower_ticket_key=$TICKET_KEY"
    - "tower_server_ttl_sec=$SERVER_TTL_SEC"
    - "tower_ticket_ttl_sec=$TICKET_TTL_SEC"
    - "tower_placement=${PLACEMENT:-least_loaded}"
    - "tower_pack_soft_cap=${PACK_SOFT_CAP:-0.8}"
YML
  )
}

nakama_flags() {
  echo --config "$ROOT/nakama/tower.yml" --config "$DIR/nakama.yml" \
    --data_dir "$DIR/nakama-data" \
    --logger.file "$DIR/nakama.log"
}

# A private CA and a certificate for 127.0.0.1/localhost signed by it (kept across restarts).
make_tls() {
  command -v openssl >/dev/null || die "openssl is needed"
  [ -f "$DIR/tls/server.pem" ] && return 0
  (umask 077; mkdir -p "$DIR/tls")
  local t=$DIR/tls
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 \
    -subj "/CN=Tower stack CA" -keyout "$t/ca.key" -out "$t/ca.pem" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
    >"$t/openssl.log" 2>&1 || { cat "$t/openssl.log" >&2; die "openssl CA failed"; }
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
    -keyout "$t/server.key" -out "$t/server.csr" >>"$t/openssl.log" 2>&1 \
    || { cat "$t/openssl.log" >&2; die "openssl key failed"; }
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' >"$t/server.ext"
  openssl x509 -req -in "$t/server.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" -CAcreateserial \
    -days 825 -extfile "$t/server.ext" -out "$t/server.pem" >>"$t/openssl.log" 2>&1 \
    || { cat "$t/openssl.log" >&2; die "openssl signing failed"; }
  chmod 0644 "$t/ca.pem" "$t/server.pem"
  chmod 0711 "$t"
}

nginx_bin() { command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || die "nginx is not installed (run scripts/install.d/50-nakama.sh)"; }

# TLS termination for Nakama's HTTP/websocket API (nginx on TLS_PORT → Nakama's plain port)
# and for its gRPC API (GRPC_TLS_PORT, HTTP/2 → Nakama's plain gRPC port, socket port − 1).
start_tls_proxy() {
  local bin; bin=$(nginx_bin)
  mkdir -p "$DIR/nginx"
  cat >"$DIR/nginx/nginx.conf" <<CONF
# Written by scripts/nakama-stack.sh: TLS in front of Nakama's HTTP, websocket and gRPC APIs.
worker_processes 1;
pid $DIR/nginx/nginx.pid;
error_log $DIR/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $DIR/nginx/body;
  proxy_temp_path $DIR/nginx/proxy;
  fastcgi_temp_path $DIR/nginx/fastcgi;
  uwsgi_temp_path $DIR/nginx/uwsgi;
  scgi_temp_path $DIR/nginx/scgi;
  map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }
  server {
    listen 127.0.0.1:$TLS_PORT ssl;
    ssl_certificate $DIR/tls/server.pem;
    ssl_certificate_key $DIR/tls/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    location / {
      proxy_pass http://127.0.0.1:$NAKAMA_PORT;
      proxy_http_version 1.1;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection \$connection_upgrade;
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$remote_addr;
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_read_timeout 1h;
    }
  }
  server {
    listen 127.0.0.1:$GRPC_TLS_PORT ssl http2;
    ssl_certificate $DIR/tls/server.pem;
    ssl_certificate_key $DIR/tls/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    location / {
      grpc_pass grpc://127.0.0.1:$((NAKAMA_PORT - 1));
      grpc_read_timeout 1h;
    }
  }
}
CONF
  setsid "$bin" -e "$DIR/nginx/error.log" -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf" \
    -g 'daemon off;' </dev/null >"$DIR/nginx/nginx.out" 2>&1 &
  local pid=$!
  echo $pid >"$DIR/nginx.pid"
  if ! wait_https "https://127.0.0.1:$TLS_PORT/healthcheck" 30 "$pid"; then
    tail -n 20 "$DIR/nginx/error.log" "$DIR/nginx/nginx.out" >&2 2>/dev/null || true
    stop_pidfile "$DIR/nginx.pid"
    die "the TLS proxy did not come up on port $TLS_PORT"
  fi
}

wait_https() { # url seconds pid
  local deadline=$((SECONDS + $2))
  until curl -fsS --cacert "$DIR/tls/ca.pem" -o /dev/null "$1" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || return 1
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.2
  done
}

stop_pidfile() {
  [ -f "$1" ] || return 0
  local pid; pid=$(cat "$1")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$1"
}

start_nakama() {
  [ -x "$NAKAMA_BIN" ] || die "no Nakama binary at $NAKAMA_BIN (run scripts/install.d/50-nakama.sh)"
  mkdir -p "$DIR/nakama-data"
  # shellcheck disable=SC2046
  write_nakama_config
  "$NAKAMA_BIN" migrate up $(nakama_flags) >"$DIR/migrate.log" 2>&1 \
    || { tail -n 20 "$DIR/migrate.log" >&2; die "nakama migrate up failed"; }
  # shellcheck disable=SC2046
  setsid "$NAKAMA_BIN" $(nakama_flags) \
    --socket.address 127.0.0.1 --socket.port "$NAKAMA_PORT" \
    --console.address 127.0.0.1 --console.port "$CONSOLE_PORT" \
    --runtime.path "$MODULES" \
    </dev/null >"$DIR/nakama.out" 2>&1 &
  local pid=$!
  echo $pid >"$DIR/nakama.pid"
  if ! wait_http "http://127.0.0.1:$NAKAMA_PORT/healthcheck" 60 "$pid"; then
    tail -n 30 "$DIR/nakama.out" "$DIR/nakama.log" >&2 2>/dev/null || true
    stop_nakama
    die "Nakama did not become healthy on port $NAKAMA_PORT"
  fi
}

stop_nakama() { stop_pidfile "$DIR/nakama.pid"; }

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

# A tower-server config for this stack (mode 0600: it holds the http and ticket keys).
write_tower_toml() {
  (umask 077; cat >"$DIR/tower.toml" <<TOML
# Written by scripts/nakama-stack.sh for the stack in $DIR (mode 0600: secrets).
# tower-server --config $DIR/tower.toml
listen = "127.0.0.1:4433"
cert_dir = "$DIR/game-cert"

[nakama]
grpc_url = "https://127.0.0.1:$GRPC_TLS_PORT"
grpc_ca = "$DIR/tls/ca.pem"
http_key = "$HTTP_KEY"
ticket_key = "$TICKET_KEY"
server_id = "tower-1"
public_host = "127.0.0.1"
public_port = 4433
TOML
  )
}

# The stack's settings that are not secret (the server key only names the game to clients).
public_env() {
  grep -E '^(PG_PORT|NAKAMA_PORT|NAKAMA_GRPC_PORT|CONSOLE_PORT|TLS_PORT|GRPC_TLS_PORT|NAKAMA_HTTP_URL|NAKAMA_HTTPS_URL|NAKAMA_GRPC_URL|NAKAMA_GRPC_TLS_URL|NAKAMA_CA|TOWER_TOML|SERVER_KEY|SERVER_TTL_SEC|TICKET_TTL_SEC|PLACEMENT|PACK_SOFT_CAP)=' "$DIR/stack.env"
  echo "# secrets (http, ticket, session keys, console and database passwords): $DIR/stack.env (0600)"
}

print_next() {
  cat <<NEXT
Nakama is up: https://127.0.0.1:$TLS_PORT (TLS, CA $DIR/tls/ca.pem), gRPC https://127.0.0.1:$GRPC_TLS_PORT (TLS, same CA); plain http://127.0.0.1:$NAKAMA_PORT on loopback for development.
Secrets are in $DIR/stack.env, $DIR/nakama.yml and $DIR/tower.toml (mode 0600); none is printed.
Next:
  cargo run --release -p tower-server -- --config $DIR/tower.toml
  SSL_CERT_FILE=$DIR/tls/ca.pem cargo run --release -p tower-bots -- --nakama https://127.0.0.1:$TLS_PORT --nakama-server-key $SERVER_KEY --bots 4 --seconds 30
  scripts/nakama-stack.sh stop $DIR
NEXT
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
    TLS_PORT=$(free_port 0); GRPC_TLS_PORT=$(free_port 0)
    [ "$GRPC_TLS_PORT" != "$TLS_PORT" ] || GRPC_TLS_PORT=$(free_port 0)
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
TLS_PORT=$TLS_PORT
NAKAMA_HTTPS_URL=https://127.0.0.1:$TLS_PORT
NAKAMA_CA=$DIR/tls/ca.pem
TOWER_TOML=$DIR/tower.toml
NAKAMA_GRPC_URL=http://127.0.0.1:$((NAKAMA_PORT - 1))
GRPC_TLS_PORT=$GRPC_TLS_PORT
NAKAMA_GRPC_TLS_URL=https://127.0.0.1:$GRPC_TLS_PORT
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
    write_tower_toml
    make_tls
    start_postgres
    start_nakama
    start_tls_proxy
    print_next
    ;;
  stop)
    [ -d "$DIR" ] || exit 0
    DIR=$(cd "$DIR" && pwd)
    stop_pidfile "$DIR/nginx.pid"
    stop_nakama
    [ ! -f "$DIR/stack.env" ] || { load_env; stop_postgres; }
    ;;
  stop-nakama) DIR=$(cd "$DIR" && pwd); load_env; stop_nakama ;;
  start-nakama) DIR=$(cd "$DIR" && pwd); load_env; start_nakama ;;
  env) DIR=$(cd "$DIR" && pwd); load_env; public_env ;;
  *) sed -n '2,33p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
