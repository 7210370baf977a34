#!/usr/bin/env bash
# The whole test suite, on a fresh clone of this kind of machine: installs what it needs
# (scripts/install-deps.sh), then runs every stage in scripts/test.d/ in order.
# Any failing stage fails the run; nothing is skipped silently.
#   scripts/test.sh            all stages
#   scripts/test.sh rust cpp   only the stages whose file name contains one of the words
set -euo pipefail
cd "$(dirname "$0")/.."

# One build configuration for every stage, so stages share target/ and it stays small:
# no incremental caches (a test run never edits the code between builds) and line tables
# only for debug info (backtraces keep file:line). Full debug info made target/ 3x larger
# and a CI machine ran out of disk.
export CARGO_INCREMENTAL=0
export CARGO_PROFILE_DEV_DEBUG=line-tables-only
export CARGO_PROFILE_RELEASE_DEBUG=line-tables-only

# Free space (GB) on the filesystems the suite writes to: target/, /tmp and Docker's store.
free_gb() { df -P -BG . /tmp /var/lib 2>/dev/null | awk 'NR > 1 { gsub("G", "", $4); print $4 }' | sort -n | head -n 1; }
need_gb=20
if [ "$(free_gb)" -lt "$need_gb" ]; then
  echo "warning: $(free_gb) GB free; a cold run of every stage writes about ${need_gb} GB" \
    "(target/, Docker images and caches). Stages may fail with 'No space left on device'." >&2
fi

scripts/install-deps.sh

passed=0
failed=0
failed_names=()
for stage in scripts/test.d/*.sh; do
  name=$(basename "$stage" .sh)
  if [ $# -gt 0 ]; then
    match=0
    for word in "$@"; do [[ $name == *"$word"* ]] && match=1; done
    [ $match -eq 1 ] || continue
  fi
  echo
  echo "=== stage $name ==="
  start=$SECONDS
  if bash "$stage"; then
    passed=$((passed + 1))
    echo "=== stage $name: ok ($((SECONDS - start)) s, $(free_gb) GB free) ==="
  else
    failed=$((failed + 1))
    failed_names+=("$name")
    echo "=== stage $name: FAILED ($((SECONDS - start)) s, $(free_gb) GB free) ==="
  fi
done

echo
[ $failed -eq 0 ] || echo "failed stages: ${failed_names[*]}"
echo "stages: $passed passed, $failed failed"
[ $failed -eq 0 ]
