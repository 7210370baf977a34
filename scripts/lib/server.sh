# Sourced by the benchmark scripts. `server_addresses LOG` waits up to 10 s for a tower-server
# started with `--listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0` to log where it listens,
# and sets `addr` and `metrics` from that line; on a timeout it prints the log and fails.
server_addresses() {
  local log=$1 line
  addr="" metrics=""
  for _ in $(seq 100); do
    line=$(grep -m1 "tower server listening" "$log" || true)
    if [[ -n "$line" ]]; then
      addr=$(sed -E 's/.* addr=([0-9.:]+).*/\1/' <<<"$line")
      metrics=$(sed -E 's/.*metrics_addr=([0-9.:]+).*/\1/' <<<"$line")
      return 0
    fi
    sleep 0.1
  done
  echo "server did not start:" >&2
  cat "$log" >&2
  return 1
}
