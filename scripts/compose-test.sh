#!/usr/bin/env bash
# docker-compose.yml as users run it, started and played (stage scripts/test.d/70-compose.sh):
#  1. the file itself: a missing key stops `up` at once naming it; the rendered file has the
#     four services with healthchecks, no published gRPC nor plain Nakama HTTP (only the TLS
#     proxy's port, on 127.0.0.1), the console on 127.0.0.1 only, and the game server's
#     [nakama] section it writes is valid TOML;
#  2. the engine: installed if missing (scripts/install.d/70-docker.sh), dockerd started when
#     none runs (and stopped at the end); fails, never skips, when it cannot start;
#  3. stand-ins for the images the files name, built locally once and reused (no registry can
#     be reached here): Debian bookworm from debootstrap, PostgreSQL from Debian's package
#     (15, not 16), Nakama built from its Go module, a Rust builder with this machine's
#     toolchain and extra CA certificates (the proxy re-signs HTTPS for cargo);
#  4. `up --build` with strong random keys on free host ports, then from outside: the TLS
#     proxy's certificate (generated, keys 0600) trusted only with its exported CA, plain HTTP
#     not served on its port, Nakama's plain port not published; then over TLS with that CA:
#     Nakama's healthcheck, device auth, the containerised game server live in the registry
#     (its gRPC to Nakama over TLS through the proxy's 7449, trusting the CA it publishes),
#     `tower-bots --nakama` (built from this tree) matched and playing over QUIC while the
#     nakama service is stopped (longer than an autosave interval) and started again, then
#     every player's save is in Nakama; the proxy restarted keeps its CA and certificate;
#  5. `down -v` leaves no container, network or volume of the test project, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

PROJECT=towercomposetest
BOTS=4
PLAY_SECONDS=45
# The game server's defaults (docs/server.md), which docker-compose.yml keeps.
AUTOSAVE_SECS=30
RESUME_WINDOW_SECS=60
STANDIN_LABEL=org.tower.stand-in
NAKAMA_VERSION=v3.40.0
NAKAMA_BIN=${TOWER_NAKAMA_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/tower/nakama-$NAKAMA_VERSION/nakama}

work=$(mktemp -d)
chmod 0700 "$work"
started_dockerd=
compose_up=

log() { echo "-- $*"; }
fail() {
  echo "compose test FAILED: $*" >&2
  exit 1
}

# The engine's own client (Debian's docker.io): it builds with BuildKit without the buildx
# plugin, which a newer client elsewhere on PATH may lack. docker-compose v1 calls `docker`.
mkdir "$work/bin"
if [ -x /usr/bin/docker ]; then ln -s /usr/bin/docker "$work/bin/docker"; fi
export PATH="$work/bin:$PATH:/usr/sbin:/sbin"
export DOCKER_BUILDKIT=1 COMPOSE_DOCKER_CLI_BUILD=1

compose() {
  docker-compose --project-name "$PROJECT" --project-directory "$root" -f "$root/docker-compose.yml" \
    --env-file "$work/env" "$@"
}

project_leftovers() {
  local f="label=com.docker.compose.project=$PROJECT"
  {
    docker ps -aq --filter "$f" | sed 's/^/container /'
    docker network ls -q --filter "$f" | sed 's/^/network /'
    docker volume ls -q --filter "$f" | sed 's/^/volume /'
  } 2>/dev/null
}

cleanup() {
  local rc=$?
  set +e
  if [ -n "$compose_up" ]; then
    if [ $rc -ne 0 ]; then
      echo "--- logs of the compose project (last 40 lines per service)" >&2
      compose logs --no-color --tail 40 >&2 2>&1
    fi
    compose down -v --remove-orphans -t 10 >/dev/null 2>&1
    left=$(project_leftovers)
    if [ -n "$left" ]; then
      echo "compose test: left behind after down -v:" >&2
      echo "$left" >&2
      rc=1
    fi
  fi
  [ -n "${bots_pid:-}" ] && kill "$bots_pid" 2>/dev/null
  if [ -n "$started_dockerd" ]; then
    kill -TERM "$started_dockerd" 2>/dev/null
    for _ in $(seq 60); do kill -0 "$started_dockerd" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$started_dockerd" 2>/dev/null; then
      echo "compose test: dockerd ($started_dockerd) did not stop" >&2
      rc=1
    fi
  fi
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT
trap 'exit 143' TERM INT

free_port() { # $1 = tcp|udp
  python3 - "$1" <<'PY'
import socket, sys
kind = socket.SOCK_STREAM if sys.argv[1] == "tcp" else socket.SOCK_DGRAM
s = socket.socket(socket.AF_INET, kind)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
PY
}

# ---------------------------------------------------------------- 1. the file
log "installing what is missing (engine, compose v1, debootstrap)"
bash scripts/install.d/70-docker.sh
[ -x "$NAKAMA_BIN" ] || bash scripts/install.d/50-nakama.sh

nakama_tls_port=$(free_port tcp)
console_port=$(free_port tcp)
game_port=$(free_port udp)
metrics_port=$(free_port tcp)
key() { openssl rand -hex 32; }
# Strong random keys every run (the server and Nakama's modules refuse short or dev keys).
{
  for k in TOWER_TICKET_KEY TOWER_HTTP_KEY TOWER_DB_PASSWORD TOWER_SERVER_KEY TOWER_SESSION_KEY \
    TOWER_REFRESH_KEY TOWER_CONSOLE_PASSWORD TOWER_CONSOLE_SIGNING_KEY; do
    echo "$k=$(key)"
  done
  echo "TOWER_PUBLIC_HOST=127.0.0.1"
  echo "TOWER_SERVER_ID=compose-test-1"
  echo "TOWER_NAKAMA_TLS_PORT=$nakama_tls_port"
  echo "TOWER_CONSOLE_PORT=$console_port"
  echo "TOWER_GAME_PORT=$game_port"
  echo "TOWER_METRICS_PORT=$metrics_port"
} >"$work/env"
# shellcheck disable=SC1091
. "$work/env"

log "a missing key stops up at once, naming it"
grep -v '^TOWER_TICKET_KEY=' "$work/env" >"$work/env.missing"
start=$SECONDS
if docker-compose --project-name "${PROJECT}missing" -f docker-compose.yml --env-file "$work/env.missing" \
  up --no-start >"$work/missing.log" 2>&1; then
  fail "up ran without TOWER_TICKET_KEY"
fi
grep -q 'TOWER_TICKET_KEY' "$work/missing.log" || { cat "$work/missing.log" >&2; fail "the error does not name TOWER_TICKET_KEY"; }
[ $((SECONDS - start)) -lt 20 ] || fail "up took $((SECONDS - start)) s to refuse a missing key"
echo "refused: $(tail -n1 "$work/missing.log" | sed 's/.*: //')"

log "the rendered file"
docker-compose -f docker-compose.yml --env-file "$work/env" config >"$work/compose.rendered.yml"
python3 - "$work/compose.rendered.yml" "$work/env" <<'PY'
import subprocess, sys, tomllib, yaml
doc = yaml.safe_load(open(sys.argv[1]))
keys = dict(line.strip().split("=", 1) for line in open(sys.argv[2]) if "=" in line)
services = doc["services"]
assert set(services) == {"postgres", "nakama", "nakama-tls", "tower-server"}, services.keys()
assert services["nakama"]["image"] == "heroiclabs/nakama:3.40.0"
for name, svc in services.items():
    assert "healthcheck" in svc, f"{name} has no healthcheck"
assert "migrate up" in services["nakama"]["entrypoint"][2]
for name, svc in services.items():
    flat = " ".join(map(str, svc.get("entrypoint") or [])) + " ".join(map(str, svc.get("command") or []))
    for flag in ("--database.address", "--runtime.http_key", "--socket.server_key",
                 "--session.encryption_key", "--console.password", "--runtime.env"):
        assert flag not in flat, f"{name} passes {flag} on its command line"

def published(svc):
    """(host_ip, published, target, protocol) of every published port, long or short syntax."""
    out = []
    for p in svc.get("ports", []):
        if isinstance(p, dict):
            out.append((p.get("host_ip", ""), str(p["published"]), str(p["target"]), p.get("protocol", "tcp")))
        else:
            spec, _, proto = str(p).partition("/")
            parts = spec.split(":")
            ip = parts[0] if len(parts) == 3 else ""
            out.append((ip, parts[-2], parts[-1], proto or "tcp"))
    return out

nakama_ports = published(services["nakama"])
assert not [p for p in nakama_ports if p[2] == "7349"], f"gRPC published: {nakama_ports}"
console = [p for p in nakama_ports if p[2] == "7351"]
assert all(p[0] == "127.0.0.1" for p in console), f"console on every interface: {console}"
for svc in ("postgres", "tower-server"):
    assert all(p[2] not in ("7349", "7350", "7351", "5432") for p in published(services[svc]))
# Nakama's player API reaches the host only through the TLS proxy, on loopback by default.
assert not [p for p in nakama_ports if p[2] == "7350"], f"plain HTTP published: {nakama_ports}"
tls = published(services["nakama-tls"])
assert tls == [("127.0.0.1", keys["TOWER_NAKAMA_TLS_PORT"], "7443", "tcp")], f"TLS proxy published as {tls}"
tls_env = services["nakama-tls"]["environment"]
assert tls_env["NAKAMA_UPSTREAM"] == "nakama:7350", tls_env
assert tls_env["NAKAMA_GRPC_UPSTREAM"] == "nakama:7349", tls_env
assert keys["TOWER_PUBLIC_HOST"] in tls_env["TLS_NAMES"].split(), tls_env
assert "nakama-tls" in tls_env["TLS_NAMES"].split(), tls_env

assert services["tower-server"].get("cap_add") == ["SYS_NICE"], services["tower-server"].get("cap_add")
env = {k: str(v) for k, v in services["tower-server"]["environment"].items()}
assert env["TICKET_KEY"] == keys["TOWER_TICKET_KEY"] and env["HTTP_KEY"] == keys["TOWER_HTTP_KEY"], env
nenv = services["nakama"]["environment"]
assert nenv["TICKET_KEY"] == keys["TOWER_TICKET_KEY"], "one ticket key for both"
assert nenv["HTTP_KEY"] == keys["TOWER_HTTP_KEY"], "one http key for both"
assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == nenv["DB_PASSWORD"]
# Run the server's start script up to the exec, and parse the TOML it writes.
script = services["tower-server"]["entrypoint"][2].replace("$$", "$")
script = script.replace("/tmp/tower.toml", sys.argv[1] + ".toml").split("exec env")[0]
subprocess.run(["sh", "-ec", script], env=env, check=True)
cfg = tomllib.load(open(sys.argv[1] + ".toml", "rb"))["nakama"]
assert cfg["ticket_key"] == keys["TOWER_TICKET_KEY"] and cfg["public_host"] == "127.0.0.1", cfg
assert cfg["grpc_url"] == "https://nakama-tls:7449" and cfg["capacity"] == 256, cfg
assert cfg["grpc_ca"] == "/var/lib/tower-nakama-ca/ca.pem", cfg
assert cfg["public_port"] == int(keys["TOWER_GAME_PORT"]), cfg
print("compose file ok: services", sorted(services), "server [nakama] keys", sorted(cfg))
PY

# ---------------------------------------------------------------- 2. the engine
if ! docker info >/dev/null 2>&1; then
  log "starting dockerd"
  command -v dockerd >/dev/null || fail "no dockerd after the install step"
  dockerd >"$work/dockerd.log" 2>&1 &
  started_dockerd=$!
  for _ in $(seq 120); do
    docker info >/dev/null 2>&1 && break
    kill -0 "$started_dockerd" 2>/dev/null || break
    sleep 0.5
  done
  if ! docker info >/dev/null 2>&1; then
    echo "--- dockerd log" >&2
    tail -n 30 "$work/dockerd.log" >&2
    fail "the Docker engine did not start (dockerd log above)"
  fi
fi
docker version --format 'engine {{.Server.Version}}, client {{.Client.Version}}'

# Leftovers of an interrupted run of this project.
compose down -v --remove-orphans -t 5 >/dev/null 2>&1 || true

# ---------------------------------------------------------------- 3. stand-in images
# An image is built when missing, or when it is one of ours from an older recipe; an image
# without our label (the real one, pulled by a user) is used as it is.
standin_current() { # name recipe-hash
  local have
  have=$(docker image inspect -f "{{index .Config.Labels \"$STANDIN_LABEL\"}}" "$1" 2>/dev/null) || return 1
  [ "$have" = "<no value>" ] || [ -z "$have" ] || [ "$have" = "$2" ]
}
# A stand-in built FROM the base is rebuilt with it: the base recipe is part of its hash.
hash_of() { { echo "$base_recipe"; cat "$@"; } | sha256sum | cut -c1-16; }

build_image=$(sed -n 's/^FROM \([^ ]*\) AS build$/\1/p' Dockerfile)
runtime_image=$(sed -n 's/^FROM \([^ ]*\)$/\1/p' Dockerfile | tail -n1)
pg_image=$(python3 -c 'import sys,yaml; print(yaml.safe_load(open(sys.argv[1]))["services"]["postgres"]["image"])' "$work/compose.rendered.yml")
nakama_image=$(python3 -c 'import sys,yaml; print(yaml.safe_load(open(sys.argv[1]))["services"]["nakama"]["image"])' "$work/compose.rendered.yml")
[ "${nakama_image##*:}" = "${NAKAMA_VERSION#v}" ] || fail "compose names $nakama_image, the stand-in is Nakama $NAKAMA_VERSION"

base_recipe=$(echo "debootstrap minbase bookworm v1" | sha256sum | cut -c1-16)
if ! standin_current debian:bookworm "$base_recipe"; then
  log "stand-in debian:bookworm (debootstrap --variant=minbase, ~1 min)"
  mkdir "$work/rootfs"
  debootstrap --variant=minbase bookworm "$work/rootfs" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 \
    || { tail -n 20 "$work/debootstrap.log" >&2; fail "debootstrap failed"; }
  rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
  tar -C "$work/rootfs" -c . | docker import \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "LABEL $STANDIN_LABEL=$base_recipe" \
    --change 'CMD ["bash"]' - debian:bookworm >/dev/null
  rm -rf "$work/rootfs"
fi
for name in "$runtime_image" debian:bookworm-slim; do
  standin_current "$name" "$base_recipe" || docker tag debian:bookworm "$name"
done

# PostgreSQL: Debian's package, with an entrypoint that honours the official image's variables.
mkdir "$work/pg"
cat >"$work/pg/Dockerfile" <<'EOF'
FROM debian:bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/*
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PGDATA=/var/lib/postgresql/data
COPY entrypoint.sh /usr/local/bin/docker-entrypoint.sh
EXPOSE 5432
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
EOF
cat >"$work/pg/entrypoint.sh" <<'EOF'
#!/bin/sh
# Stand-in for the official postgres image's entrypoint: POSTGRES_USER (superuser),
# POSTGRES_PASSWORD (required), POSTGRES_DB; data in $PGDATA, password auth over TCP.
set -eu
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}"
user=${POSTGRES_USER:-postgres}
db=${POSTGRES_DB:-$user}
as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
mkdir -p "$PGDATA" /var/run/postgresql
chown postgres:postgres "$PGDATA" /var/run/postgresql
chmod 0700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pw=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pw"
  chown postgres "$pw"
  as_pg initdb -D "$PGDATA" -U "$user" --pwfile="$pw" --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pw"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  if [ "$db" != postgres ]; then
    echo "CREATE DATABASE \"$db\" OWNER \"$user\";" | as_pg postgres --single -D "$PGDATA" postgres >/dev/null
  fi
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups postgres -D "$PGDATA" -c listen_addresses='*'
EOF
chmod +x "$work/pg/entrypoint.sh"
pg_recipe=$(hash_of "$work/pg/Dockerfile" "$work/pg/entrypoint.sh")
if ! standin_current "$pg_image" "$pg_recipe"; then
  log "stand-in $pg_image (PostgreSQL 15 from Debian)"
  docker build -q --label "$STANDIN_LABEL=$pg_recipe" -t "$pg_image" "$work/pg" >/dev/null
fi

# Nakama: the binary scripts/install.d/50-nakama.sh builds, laid out like the upstream image.
mkdir "$work/nakama"
cp "$NAKAMA_BIN" "$work/nakama/nakama"
cat >"$work/nakama/Dockerfile" <<'EOF'
FROM debian:bookworm
COPY nakama /nakama/nakama
RUN mkdir -p /nakama/data/modules
WORKDIR /nakama
EXPOSE 7349 7350 7351
ENTRYPOINT ["/nakama/nakama"]
EOF
nakama_recipe=$(hash_of "$work/nakama/Dockerfile" "$work/nakama/nakama")
if ! standin_current "$nakama_image" "$nakama_recipe"; then
  log "stand-in $nakama_image (Nakama $NAKAMA_VERSION from its Go module)"
  docker build -q --label "$STANDIN_LABEL=$nakama_recipe" -t "$nakama_image" "$work/nakama" >/dev/null
fi

# Rust builder: this machine's toolchain (host target only) and its extra CA certificates.
sysroot=$(rustc --print sysroot)
rust_version=$(rustc --version | cut -d' ' -f2)
[[ $build_image == rust:${rust_version%.*}-* || $build_image == rust:$rust_version-* ]] \
  || fail "the Dockerfile builds with $build_image, this machine has rustc $rust_version"
host=$(rustc -vV | sed -n 's/^host: //p')
mkdir -p "$work/rust/ca" "$work/rust/toolchain/lib/rustlib" "$work/rust/toolchain/bin"
cp /usr/local/share/ca-certificates/*.crt "$work/rust/ca/" 2>/dev/null || true
cp -al "$sysroot/bin/cargo" "$sysroot/bin/rustc" "$work/rust/toolchain/bin/" 2>/dev/null \
  || cp -a "$sysroot/bin/cargo" "$sysroot/bin/rustc" "$work/rust/toolchain/bin/"
for f in "$sysroot"/lib/*.so*; do
  cp -al "$f" "$work/rust/toolchain/lib/" 2>/dev/null || cp -a "$f" "$work/rust/toolchain/lib/"
done
cp -al "$sysroot/lib/rustlib/$host" "$sysroot/lib/rustlib/etc" "$work/rust/toolchain/lib/rustlib/" 2>/dev/null \
  || cp -a "$sysroot/lib/rustlib/$host" "$sysroot/lib/rustlib/etc" "$work/rust/toolchain/lib/rustlib/"
cat >"$work/rust/Dockerfile" <<'EOF'
FROM debian:bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*
COPY ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates >/dev/null
COPY toolchain/ /usr/local/rust/
ENV CARGO_HOME=/usr/local/cargo \
    PATH=/usr/local/cargo/bin:/usr/local/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
EOF
rust_recipe=$( (echo "$base_recipe"; cat "$work/rust/Dockerfile" "$work/rust/ca/"* 2>/dev/null; rustc -vV) | sha256sum | cut -c1-16)
if ! standin_current "$build_image" "$rust_recipe"; then
  log "stand-in $build_image (rustc $rust_version from this machine)"
  docker build -q --label "$STANDIN_LABEL=$rust_recipe" -t "$build_image" "$work/rust" >/dev/null
fi
rm -rf "$work/rust" "$work/nakama" "$work/pg"

# ---------------------------------------------------------------- 4. up, and play
log "compose build (the release build runs inside the Dockerfile)"
start=$SECONDS
compose_up=1
compose build >"$work/build.log" 2>&1 || { tail -n 40 "$work/build.log" >&2; fail "compose build failed"; }
echo "built in $((SECONDS - start)) s"

log "building tower-bots from this tree (host side)"
cargo build -q -p tower-bots
bots_bin=$root/target/debug/tower-bots

log "compose up, waiting for every service to be healthy"
start=$SECONDS
compose up -d >"$work/up.log" 2>&1 || { cat "$work/up.log" >&2; fail "compose up failed"; }
wait_healthy() { # seconds
  local deadline=$((SECONDS + $1)) svc id status all
  while :; do
    all=1
    for svc in postgres nakama nakama-tls tower-server; do
      id=$(compose ps -q "$svc")
      status=$( [ -n "$id" ] && docker inspect -f '{{.State.Health.Status}}' "$id" 2>/dev/null || echo missing)
      [ "$status" = healthy ] || all=0
    done
    [ $all -eq 1 ] && return 0
    [ $SECONDS -lt "$deadline" ] || return 1
    sleep 1
  done
}
wait_healthy 180 || fail "services not healthy after 180 s"
echo "healthy in $((SECONDS - start)) s"

server_id=$(compose ps -q tower-server)
nakama_id=$(compose ps -q nakama)
log "published ports: gRPC nowhere, console on 127.0.0.1 only"
docker port "$nakama_id" 7349/tcp 2>/dev/null | grep -q . && fail "Nakama's gRPC port is published"
console=$(docker port "$nakama_id" 7351/tcp)
[ -n "$console" ] && ! grep -qv '^127\.0\.0\.1:' <<<"$console" || fail "console published as: $console"

tls_id=$(compose ps -q nakama-tls)
log "Nakama's player API: plain HTTP not published, TLS on 127.0.0.1 only"
docker port "$nakama_id" 7350/tcp 2>/dev/null | grep -q . && fail "Nakama's plain HTTP port is published"
tls_published=$(docker port "$tls_id" 7443/tcp)
[ "$tls_published" = "127.0.0.1:$TOWER_NAKAMA_TLS_PORT" ] || fail "TLS port published as: $tls_published"
nakama_url=https://127.0.0.1:$TOWER_NAKAMA_TLS_PORT

log "the proxy's certificate: generated on first start, keys 0600, trusted only with its CA"
# What docs/nakama.md tells users to run to get the CA their clients trust.
compose exec -T nakama-tls tower-tls-proxy ca >"$work/ca.pem" || fail "exporting the CA failed"
openssl x509 -in "$work/ca.pem" -noout -subject || fail "the exported CA is not a certificate"
modes=$(docker exec "$tls_id" stat -c '%n %a %U' /var/lib/tower-tls/ca.key /var/lib/tower-tls/server.key) \
  || fail "no generated keys in the nakama-tls volume"
echo "$modes"
[ "$(awk '$2 != "600" || $3 != "tls"' <<<"$modes")" = "" ] || fail "a key of the proxy is not 0600 tls: $modes"
names=$(docker exec "$tls_id" openssl x509 -in /var/lib/tower-tls/server.pem -noout -ext subjectAltName) \
  || fail "no server certificate in the nakama-tls volume"
grep -q "IP Address:$TOWER_PUBLIC_HOST" <<<"$names" || fail "the certificate does not name TOWER_PUBLIC_HOST: $names"
curl -fsS --cacert "$work/ca.pem" -o /dev/null "$nakama_url/healthcheck" || fail "healthcheck over TLS with the CA failed"
# Without the CA (the system roots only) the certificate is refused.
if curl -fsS -o /dev/null "$nakama_url/healthcheck" 2>"$work/noca.err"; then
  fail "the proxy's certificate was trusted without its CA"
fi
echo "without the CA: $(head -n1 "$work/noca.err")"
# Plain HTTP on the published port: nginx answers 400 and never forwards to Nakama.
plain=$(curl -sS -o "$work/plain.body" -w '%{http_code}' "http://127.0.0.1:$TOWER_NAKAMA_TLS_PORT/healthcheck" 2>&1) || true
[ "$plain" != 200 ] && ! grep -q '^{' "$work/plain.body" 2>/dev/null \
  || fail "plain HTTP served on the TLS port: $plain $(head -c 200 "$work/plain.body")"
echo "plain http on the TLS port: $plain ($(grep -o 'plain HTTP[^<]*' "$work/plain.body" | head -n1))"

log "the game server's gRPC to Nakama: TLS (h2) on nakama-tls:7449 with the published CA"
docker exec "$server_id" cat /var/lib/tower-nakama-ca/ca.pem | cmp -s - "$work/ca.pem" \
  || fail "the game server does not see the proxy's CA in the nakama-ca volume"
# (the server's HTTP/2 SETTINGS frame follows the handshake: binary, so NULs are dropped)
grpc_tls=$({ docker exec "$tls_id" openssl s_client -connect 127.0.0.1:7449 -servername nakama-tls \
  -verify_hostname nakama-tls -CAfile /var/lib/tower-tls/ca.pem -alpn h2 </dev/null 2>&1 || true; } | tr -d '\000')
grep -q "Verify return code: 0" <<<"$grpc_tls" && grep -q "ALPN protocol: h2" <<<"$grpc_tls" \
  || fail "gRPC TLS port: $(grep -E 'Verify|ALPN|error' <<<"$grpc_tls" | head -n 5)"
compose logs --no-color tower-server 2>&1 | grep "registered with nakama" | grep -q "https://nakama-tls:7449" \
  || fail "the game server did not register over https://nakama-tls:7449"
echo "gRPC over TLS: certificate verified for nakama-tls, ALPN h2; the server registered through it"

log "Nakama healthcheck and device auth from the host over TLS ($nakama_url)"
export CURL_CA_BUNDLE=$work/ca.pem
curl -fsS -o /dev/null "$nakama_url/healthcheck" || fail "Nakama's healthcheck failed"
auth=$(curl -fsS -u "$TOWER_SERVER_KEY:" -H 'content-type: application/json' \
  "$nakama_url/v2/account/authenticate/device?create=true&username=compose-probe" \
  -d '{"id":"tower-compose-test-probe-device"}') || fail "device auth failed"
python3 -c 'import json,sys; assert json.load(sys.stdin)["token"]' <<<"$auth" || fail "device auth gave no token: $auth"

log "the containerised game server is live in the registry"
cat >"$work/live.py" <<'PY'
import json, sys
servers = json.load(sys.stdin).get("servers", [])
me = [s for s in servers if s.get("id") == sys.argv[1]]
sys.exit(0 if me and me[0].get("live") and str(me[0].get("port")) == sys.argv[2] else 1)
PY
registered=
for _ in $(seq 30); do
  list=$(curl -fsS "$nakama_url/v2/rpc/tower_server_list?http_key=$TOWER_HTTP_KEY&unwrap" -d '{}') || list='{}'
  if python3 "$work/live.py" "$TOWER_SERVER_ID" "$TOWER_GAME_PORT" <<<"$list"; then registered=1; break; fi
  sleep 1
done
[ -n "$registered" ] || fail "server $TOWER_SERVER_ID not live in the registry: $list"
echo "registry: $list"

log "no secret in any process's arguments; the server's tower.toml is private"
# Any local user reads /proc/PID/cmdline: scan every process of the host (the containers'
# included) for every key of the env file, then the mode and owner of the server's config.
python3 - "$work/env" <<'PY' || fail "a secret is on a command line"
import os, sys
secrets = [l.split("=", 1)[1].strip() for l in open(sys.argv[1])
           if l.startswith("TOWER_") and "KEY" in l.split("=")[0] or "PASSWORD" in l.split("=")[0]]
secrets = [s for s in secrets if len(s) >= 16]
assert len(secrets) >= 8, secrets
seen = 0
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        argv = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace")
    except OSError:
        continue
    seen += 1
    for s in secrets:
        assert s not in argv, f"pid {pid} has a secret in its arguments: {argv[:80]}"
print(f"{seen} processes, {len(secrets)} secrets: none in any argv")
PY
mode=$(docker exec "$server_id" stat -c '%a %U' /tmp/tower.toml) || fail "no /tmp/tower.toml in the server container"
[ "$mode" = "600 tower" ] || fail "/tmp/tower.toml is $mode, expected 600 tower"
echo "tower.toml: $mode"

log "the tick thread runs ahead of the network workers; only it holds CAP_SYS_NICE"
# From the host's /proc: the image's file capability and compose's grant reach a non-root
# process, the tick thread raises the capability for itself (real-time where the host gives
# the container real-time runtime, else nice -5), and no other thread holds it effective.
python3 - "$(docker inspect -f '{{.State.Pid}}' "$server_id")" <<'PY' || fail "tick thread priority"
import os, sys
task = f"/proc/{sys.argv[1]}/task"
SYS_NICE, SCHED_FIFO = 1 << 23, 1
def status(tid, field):
    return next(l.split()[1] for l in open(f"{task}/{tid}/status") if l.startswith(field + ":"))
def sched(tid):  # (nice, policy): stat fields 19 and 41, counted after the ")" of the name
    stat = open(f"{task}/{tid}/stat").read()
    f = stat[stat.rindex(")") + 2:].split()
    return int(f[16]), int(f[38])
threads = {t: open(f"{task}/{t}/comm").read().strip() for t in os.listdir(task)}
tick = [t for t, name in threads.items() if name == "tower-tick"]
assert len(tick) == 1, f"no single tower-tick thread: {threads}"
main = sys.argv[1]
assert status(main, "Uid") != "0", "the server runs as root"
assert int(status(main, "CapPrm"), 16) & SYS_NICE, "CAP_SYS_NICE not permitted: file capability or cap_add lost"
holders = [threads[t] for t in threads if int(status(t, "CapEff"), 16) & SYS_NICE]
assert holders == ["tower-tick"], f"CAP_SYS_NICE effective on {holders}"
(nice, policy), (main_nice, _) = sched(tick[0]), sched(main)
assert policy == SCHED_FIFO or nice == main_nice - 5, f"tick thread nice {nice} policy {policy}"
print("tick thread:", "SCHED_FIFO" if policy == SCHED_FIFO else f"nice {nice} (process {main_nice}, real-time refused)")
PY
image=$(docker inspect -f '{{.Config.Image}}' "$server_id")
docker run --rm --cap-drop SYS_NICE "$image" --version >/dev/null \
  || fail "the image does not start where SYS_NICE is not granted"
echo "without the grant: starts"

log "$BOTS bots matched by Nakama play over QUIC; nakama is stopped and started while they play"
run_id=compose-$(date +%s)
SSL_CERT_FILE=$work/ca.pem TOWER_NAKAMA_SERVER_KEY=$TOWER_SERVER_KEY "$bots_bin" --nakama "$nakama_url" --run-id "$run_id" \
  --bots "$BOTS" --seconds "$PLAY_SECONDS" >"$work/bots.out" 2>"$work/bots.err" &
bots_pid=$!
playing=
for _ in $(seq 120); do
  grep -q 'playing' "$work/bots.err" && { playing=1; break; }
  kill -0 "$bots_pid" 2>/dev/null || break
  sleep 0.5
done
[ -n "$playing" ] || { cat "$work/bots.out" "$work/bots.err" >&2; fail "the bots did not start playing"; }
grep 'playing' "$work/bots.err"
# Nakama stays down longer than the server's autosave interval, so each player's first
# autosave meets the outage and has to be retried rather than dropped.
sleep 1
start=$SECONDS
compose stop -t 10 nakama >/dev/null 2>&1 || fail "stopping nakama failed"
sleep $((AUTOSAVE_SECS + 1))
compose start nakama >/dev/null 2>&1 || fail "starting nakama again failed"
wait_healthy 120 || fail "not healthy again after restarting nakama"
echo "nakama down for $((AUTOSAVE_SECS + 1)) s, healthy again $((SECONDS - start)) s after the stop"
bots_rc=0
for _ in $(seq $((PLAY_SECONDS * 2 + 120))); do kill -0 "$bots_pid" 2>/dev/null || break; sleep 0.5; done
if kill -0 "$bots_pid" 2>/dev/null; then kill "$bots_pid"; fail "tower-bots outlived its bound"; fi
wait "$bots_pid" || bots_rc=$?
bots_done=$SECONDS
bots_pid=
cat "$work/bots.out"
[ $bots_rc -eq 0 ] || { cat "$work/bots.err" >&2; fail "tower-bots exited with $bots_rc"; }
row() { sed -n "s/^$1  *//p" "$work/bots.out"; }
[ "$(row connected)" = "$BOTS" ] || { cat "$work/bots.err" >&2; fail "connected: $(row connected) of $BOTS"; }
[ "$(row failed)" = 0 ] || fail "failed bots: $(row failed)"
[ "$(row 'matchmaking failures')" = 0 ] || fail "matchmaking failures: $(row 'matchmaking failures')"
[ "$(row 'hash mismatches')" = 0 ] || fail "hash mismatches: $(row 'hash mismatches')"
[ "$(row 'floors verified')" -ge 1 ] || fail "no floor verified"
highest=$(row 'highest floor')

log "every player's state is saved in Nakama (nothing lost to the outage)"
# Through the server RPC tower_state_load (the storage layout is Nakama's modules' business).
cat >"$work/saved.py" <<'PY'
# argv: nakama url, server key, http key, run id, bots, highest floor the bots saw, CA file.
# Exit 0 when every bot's state is saved and the best saved floor is at least what the bots
# reached.
import base64, json, ssl, sys, urllib.parse, urllib.request
url, server_key, http_key, run_id = sys.argv[1:5]
bots, highest = int(sys.argv[5]), int(sys.argv[6])
tls = ssl.create_default_context(cafile=sys.argv[7])
def call(path, body, auth=None):
    data = None if body is None else json.dumps(body).encode()
    headers = {"content-type": "application/json"}
    if auth:
        headers["authorization"] = auth
    with urllib.request.urlopen(urllib.request.Request(url + path, data=data, headers=headers), timeout=10, context=tls) as r:
        return json.load(r)
basic = "Basic " + base64.b64encode((server_key + ":").encode()).decode()
rpc = "/v2/rpc/tower_state_load?unwrap&http_key=" + urllib.parse.quote(http_key)
floors = []
for i in range(bots):
    token = call("/v2/account/authenticate/device?create=false", {"id": f"tower-bot-{run_id}-{i:06d}"}, basic)["token"]
    user_id = call("/v2/account", None, "Bearer " + token)["user"]["id"]
    got = call(rpc, {"user_id": user_id})
    if not got.get("found"):
        print(f"bot {i} ({user_id}): no saved state"); sys.exit(1)
    floors.append(got["state"]["highest_floor"])
print("saved highest floors:", floors, "bots reached:", highest)
sys.exit(0 if max(floors) >= highest else 1)
PY
# Checked before the resume window runs out: a bot that leaves is held that long and saved
# again when released, which would hide a lost autosave.
saved=
while [ $((SECONDS - bots_done)) -lt $((RESUME_WINDOW_SECS - 10)) ]; do
  if python3 "$work/saved.py" "$nakama_url" "$TOWER_SERVER_KEY" "$TOWER_HTTP_KEY" "$run_id" "$BOTS" \
    "$highest" "$work/ca.pem" >"$work/saved.out" 2>&1; then saved=1; break; fi
  sleep 2
done
cat "$work/saved.out"
[ -n "$saved" ] || fail "saves missing in Nakama after the restart"

log "the proxy keeps its CA and certificate across a restart (clients keep trusting it)"
cert_of() { docker exec "$tls_id" openssl x509 -in /var/lib/tower-tls/server.pem -noout -fingerprint -sha256; }
cert_before=$(cert_of) || fail "no server certificate in the nakama-tls volume"
compose restart -t 10 nakama-tls >/dev/null 2>&1 || fail "restarting nakama-tls failed"
wait_healthy 60 || fail "not healthy again after restarting nakama-tls"
compose exec -T nakama-tls tower-tls-proxy ca | cmp -s - "$work/ca.pem" || fail "the CA changed across a restart"
[ "$(cert_of)" = "$cert_before" ] || fail "the server certificate changed across a restart"
curl -fsS -o /dev/null "$nakama_url/healthcheck" || fail "healthcheck over TLS after the proxy's restart failed"
echo "same CA and ${cert_before#*=} after the restart"

restarts=$(docker inspect -f '{{.RestartCount}}' "$server_id")
[ "$restarts" = 0 ] || fail "the game server container restarted $restarts times"
docker logs "$server_id" 2>&1 | grep -qi 'panicked' && fail "the game server panicked"

# ---------------------------------------------------------------- 5. down
log "down -v leaves nothing behind"
compose down -v --remove-orphans -t 10 >/dev/null 2>&1 || fail "compose down failed"
compose_up=
left=$(project_leftovers)
[ -z "$left" ] || fail "left behind: $left"
echo "compose test ok"
