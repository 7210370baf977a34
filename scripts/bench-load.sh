#!/usr/bin/env bash
# Load benchmark of the game server: starts a release tower-server on 127.0.0.1, runs
# tower-bots against it, scrapes the server's /metrics and prints the tick p50/p99 next to
# the bots' table (the bots add the server's CPU time and tick quantiles over their measured
# window, and their own CPU time). Bounded in time; all traffic stays on loopback. For the
# pinned-core capacity curve see scripts/bench/capacity.sh.
#
#   scripts/bench-load.sh [BOTS] [SECONDS]       defaults: 200 bots, 30 s
#   env: BOT_THREADS (default 1), TICK_HZ (30), CARGO_TARGET_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/server.sh

BOTS=${1:-200}
PLAY_SECONDS=${2:-30}
BOT_THREADS=${BOT_THREADS:-1}
TICK_HZ=${TICK_HZ:-30}
TARGET=${CARGO_TARGET_DIR:-target}

cargo build --release --locked -p tower-server -p tower-bots >&2

work=$(mktemp -d)
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

RUST_LOG=warn,tower_server=info "$TARGET/release/tower-server" \
    --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --cert-dir "$work/cert" \
    --tick-rate-hz "$TICK_HZ" --max-players $((BOTS + 100)) >"$work/server.log" 2>&1 &
server_pid=$!

server_addresses "$work/server.log"
fingerprint=$(tr -d '[:space:]' <"$work/cert/cert.sha256")

scrape() { # GET /metrics with bash's /dev/tcp (no curl needed)
    local host=${metrics%:*} port=${metrics##*:}
    exec 3<>"/dev/tcp/$host/$port"
    printf 'GET /metrics HTTP/1.1\r\nhost: %s\r\n\r\n' "$host" >&3
    cat <&3
    exec 3<&-
}

# Tick quantiles from the histogram buckets (linear within a bucket), over the whole run.
quantiles() {
    awk '
    /^tower_tick_duration_seconds_bucket/ {
        match($0, /le="[^"]+"/); le = substr($0, RSTART + 4, RLENGTH - 5)
        n++; bound[n] = (le == "+Inf") ? -1 : le + 0; cum[n] = $NF + 0
    }
    /^tower_tick_duration_seconds_count/ { total = $NF + 0 }
    /^tower_ticks_skipped_total/ { skipped = $NF + 0 }
    /^tower_players / { players = $NF + 0 }
    /^tower_bytes_out_total/ { out = $NF + 0 }
    function q(p,   i, target, lo, prev) {
        target = p * total; prev = 0; lo = 0
        for (i = 1; i <= n; i++) {
            if (cum[i] >= target) {
                if (bound[i] < 0) return lo * 1000
                if (cum[i] == prev) return bound[i] * 1000
                return (lo + (bound[i] - lo) * (target - prev) / (cum[i] - prev)) * 1000
            }
            lo = bound[i]; prev = cum[i]
        }
        return lo * 1000
    }
    END {
        if (total == 0) { print "no ticks recorded"; exit 1 }
        printf "server: ticks %d, tick p50 %.3f ms, p99 %.3f ms, skipped ticks %d, players at end %d, bytes out %d\n", total, q(0.50), q(0.99), skipped, players, out
    }'
}

echo "server $addr (metrics $metrics), $BOTS bots for $PLAY_SECONDS s, tick $TICK_HZ Hz" >&2
bots_status=0
timeout $((PLAY_SECONDS + 180)) "$TARGET/release/tower-bots" --server "$addr" \
    --cert-fingerprint "$fingerprint" --bots "$BOTS" --seconds "$PLAY_SECONDS" \
    --threads "$BOT_THREADS" --server-pid "$server_pid" --metrics "$metrics" || bots_status=$?
scrape | quantiles
grep -E "WARN|ERROR" "$work/server.log" | sort | uniq -c | sort -rn | head -5 >&2 || true
exit "$bots_status"
