#!/usr/bin/env bash
# Capacity benchmark of the game server, measured the right way: the server pinned to core
# 0 and the bot swarm to core 1 (taskset), the server's own CPU time from
# /proc/<pid>/stat, tick p50/p99 from its /metrics over the measured window only, and UDP
# bytes per player both ways from quinn's connection stats (the bots' table). One point
# per (layout, players): "one" puts everyone on floor 0, "spread" starts new players on
# SPREAD_FLOORS floors. Prints one table and draws docs/img/capacity.png.
#
#   scripts/bench/capacity.sh
#   env: PLAYERS ("100 250 500 1000"), LAYOUTS ("one spread"), SECONDS_PER_POINT (30),
#        REPEATS (1; medians are reported), SPREAD_FLOORS (10), BRAIN_HZ (10), CONNECT_RATE (200),
#        OUT (docs/img/capacity: .tsv raw rows, .md table, .png plot), CARGO_TARGET_DIR,
#        RTT_MS (0: bare loopback; N: every bot's datagrams are held N ms before leaving, the
#        round trip of a player's path, which changes how many ACK-only packets QUIC sends),
#        JITTER_MS (0; N: each datagram waits up to N ms more, drawn at random per datagram),
#        EVERY (unset: the defaults, every 2 ticks near a fight and 3 when calm; N: inputs
#        and snapshots every N ticks, fight or not, 1 = before issue 13's batching)
# Each point also records the host's speed on the server's core just before it (the median
# of `tower-floor bench`, pure CPU work): on a shared VM it moves by 2x and more, and CPU
# time per player moves with it, so a figure is only comparable with one of similar speed.
# Every run is bounded by `timeout`; all traffic stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/server.sh

PLAYERS=${PLAYERS:-"100 250 500 1000"}
LAYOUTS=${LAYOUTS:-"one spread"}
SECONDS_PER_POINT=${SECONDS_PER_POINT:-30}
REPEATS=${REPEATS:-1}
SPREAD_FLOORS=${SPREAD_FLOORS:-10}
BRAIN_HZ=${BRAIN_HZ:-10}
RTT_MS=${RTT_MS:-0}
JITTER_MS=${JITTER_MS:-0}
OUT=${OUT:-docs/img/capacity}
TARGET=${CARGO_TARGET_DIR:-target}
every_server=() every_bots=()
if [[ -n "${EVERY:-}" ]]; then
    every_server=(--snapshot-every-ticks "$EVERY" --snapshot-calm-ticks "$EVERY")
    every_bots=(--input-every-ticks "$EVERY")
fi

cargo build --release --locked -p tower-server -p tower-bots -p tower-floor >&2

python3 -c 'import matplotlib' 2>/dev/null || python3 -m pip install --quiet matplotlib >&2

pin_server=() pin_bots=()
if [[ $(nproc) -ge 2 ]] && command -v taskset >/dev/null; then
    pin_server=(taskset -c 0) pin_bots=(taskset -c 1)
else
    echo "capacity: fewer than 2 cores or no taskset: running unpinned (server and bots share cores)" >&2
fi

work=$(mktemp -d)
server_pid=""
stop_server() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    server_pid=""
}
trap 'stop_server; rm -rf "$work"' EXIT

row() { # the value of one row of the bots' table, "-" when missing
    local v
    v=$(grep -E "^$1 {2,}" "$work/bots.out" | head -1 | sed -E "s|^$1 +||; s| .*||" || true)
    echo "${v:--}"
}
steal_ticks() { # time the hypervisor took from the server's core (0), in USER_HZ ticks
    awk '/^cpu0 /{print $9}' /proc/stat
}
host_floor_us() { # the median µs of generating and hashing a floor on the server's core now
    "${pin_server[@]}" "$TARGET/release/tower-floor" bench --count 300 2>/dev/null |
        awk '/^median:/{print $2}'
}
row_up() { # the second value of a "down / up" row
    local v
    v=$(grep -E "^$1 {2,}" "$work/bots.out" | head -1 | sed -E "s|^$1 +||; s|.* / ||; s| .*||" || true)
    echo "${v:--}"
}

# Every bot connects from 127.0.0.1: lift the per-address pre-login bound (meant for the
# internet) so a 1,000-bot ramp is not refused, and keep QUIC Retry out of the way.
cat >"$work/server.toml" <<'TOML'
max_prelogin = 4096
max_prelogin_per_address = 4096
retry_prelogin_from = 4096
TOML

mkdir -p "$(dirname "$OUT")"
tsv="$OUT.tsv"
printf 'layout\tplayers\trepeat\tconnected\tfailed\tserver_cpu_ms_per_player_s\ttick_p50_ms\ttick_p99_ms\tskipped_ticks\tdropped_datagrams\tdown_udp_Bps\tup_udp_Bps\tdown_payload_Bps\tswarm_cpu_ms_s\ttick_demotions\tcalm_share_pct\tdown_packets_s\tup_packets_s\tbare_up_packets_s\tserver_pings_s\tserver_core_steal_pct\thost_floor_us\n' >"$tsv"

for layout in $LAYOUTS; do
    for players in $PLAYERS; do
        for repeat in $(seq "$REPEATS"); do
            spread=0
            [[ "$layout" == spread ]] && spread=$SPREAD_FLOORS
            rm -rf "$work/cert"
            host=$(host_floor_us)
            TOWER_BENCH_SPREAD_FLOORS=$spread RUST_LOG=warn,tower_server=info \
                "${pin_server[@]}" "$TARGET/release/tower-server" --config "$work/server.toml" \
                --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --cert-dir "$work/cert" \
                --max-players $((players + 100)) "${every_server[@]}" >"$work/server.log" 2>&1 &
            server_pid=$!
            server_addresses "$work/server.log"
            echo "capacity: $layout, $players players, repeat $repeat ($SECONDS_PER_POINT s)" >&2
            steal0=$(steal_ticks) started=$SECONDS
            timeout $((SECONDS_PER_POINT + 120)) "${pin_bots[@]}" "$TARGET/release/tower-bots" \
                --server "$addr" --fingerprint-file "$work/cert/cert.sha256" \
                --bots "$players" --seconds "$SECONDS_PER_POINT" --threads 1 \
                --brain-hz "$BRAIN_HZ" --rtt-ms "$RTT_MS" --jitter-ms "$JITTER_MS" --connect-rate "${CONNECT_RATE:-200}" \
                --server-pid "$server_pid" --metrics "$metrics" "${every_bots[@]}" >"$work/bots.out" || true
            # share of core 0's time the hypervisor ran something else (a shared VM's stalls)
            steal=$(awk -v t="$(( $(steal_ticks) - steal0 ))" -v s="$(( SECONDS - started ))" \
                -v hz="$(getconf CLK_TCK)" 'BEGIN { if (s > 0) printf "%.1f", 100 * t / hz / s; else print "-" }')
            stop_server
            # a tick that overran its period drops the real-time tick thread to the fair
            # scheduler for 30 s (server/src/shell/priority.rs): count it, it explains a p99
            demotions=$(grep -c "tick thread scheduling changed.*Fair" "$work/server.log" || true)
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
                "$layout" "$players" "$repeat" "$(row connected)" "$(row failed)" \
                "$(row 'server CPU ms/s per bot')" "$(row 'server tick p50 ms')" \
                "$(row 'server tick p99 ms')" "$(row 'server skipped ticks')" \
                "$(row 'server dropped datagrams')" "$(row 'down UDP B/s per bot')" \
                "$(row 'up UDP B/s per bot')" "$(row 'down payload B/s per bot')" \
                "$(row 'swarm CPU ms/s')" "${demotions:-0}" "$(row 'calm share of ticks %')" \
                "$(row 'down / up packets/s per bot')" "$(row_up 'down / up packets/s per bot')" \
                "$(row_up '  of which no datagram, down / up')" "$(row 'server PINGs/s per bot')" \
                "$steal" "${host:--}" >>"$tsv"
            tail -1 "$tsv" >&2
        done
    done
done

path=loopback
[[ "$RTT_MS" != 0 ]] && path="round trip ${RTT_MS} ms added to each bot's path"
[[ "$JITTER_MS" != 0 ]] && path="$path, jitter up to ${JITTER_MS} ms"
python3 scripts/bench/capacity_plot.py "$tsv" "$OUT.png" "$path" | tee "$OUT.md"
