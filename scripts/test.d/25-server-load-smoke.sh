#!/usr/bin/env bash
# Release build of tower-server + tower-bots and a short load run over loopback through
# scripts/bench-load.sh: every bot must connect, prove its floors and none may fail.
set -euo pipefail
cd "$(dirname "$0")/../.."

out=$(scripts/bench-load.sh 20 5)
echo "$out"
grep -Eq '^connected +20$' <<<"$out" || { echo "not every bot connected" >&2; exit 1; }
grep -Eq '^failed +0$' <<<"$out" || { echo "some bots failed" >&2; exit 1; }
grep -Eq '^hash mismatches +0$' <<<"$out" || { echo "floor hash mismatches" >&2; exit 1; }
grep -Eq '^server: ticks [1-9]' <<<"$out" || { echo "no tick metrics scraped" >&2; exit 1; }
