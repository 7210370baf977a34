#!/usr/bin/env bash
# Release build of tower-server + tower-bots and a short load run over loopback through
# scripts/bench-load.sh: every bot must connect, prove its floors and none may fail, and the
# swarm's probes (its own CPU, the server's CPU and window tick quantiles) must report.
set -euo pipefail
cd "$(dirname "$0")/../.."

out=$(scripts/bench-load.sh 20 5)
echo "$out"
grep -Eq '^connected +20$' <<<"$out" || { echo "not every bot connected" >&2; exit 1; }
grep -Eq '^failed +0$' <<<"$out" || { echo "some bots failed" >&2; exit 1; }
grep -Eq '^hash mismatches +0$' <<<"$out" || { echo "floor hash mismatches" >&2; exit 1; }
grep -Eq '^server: ticks [1-9]' <<<"$out" || { echo "no tick metrics scraped" >&2; exit 1; }
grep -Eq '^swarm CPU ms/s +[0-9]' <<<"$out" || { echo "no swarm CPU row" >&2; exit 1; }
grep -Eq '^server CPU ms/s per bot +[0-9]' <<<"$out" || { echo "no server CPU row" >&2; exit 1; }
grep -Eq '^server tick p99 ms +[0-9]' <<<"$out" || { echo "no window tick p99 row" >&2; exit 1; }
