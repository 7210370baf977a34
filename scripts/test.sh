#!/usr/bin/env bash
# The whole test suite, on a fresh clone of this kind of machine: installs what it needs
# (scripts/install-deps.sh), then runs every stage in scripts/test.d/ in order.
# Any failing stage fails the run; nothing is skipped silently.
#   scripts/test.sh            all stages
#   scripts/test.sh rust cpp   only the stages whose file name contains one of the words
set -euo pipefail
cd "$(dirname "$0")/.."

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
    echo "=== stage $name: ok ($((SECONDS - start)) s) ==="
  else
    failed=$((failed + 1))
    failed_names+=("$name")
    echo "=== stage $name: FAILED ($((SECONDS - start)) s) ==="
  fi
done

echo
[ $failed -eq 0 ] || echo "failed stages: ${failed_names[*]}"
echo "stages: $passed passed, $failed failed"
[ $failed -eq 0 ]
