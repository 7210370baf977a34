#!/usr/bin/env bash
# What an Unreal build would reject, checked without Unreal (about 30 s):
#  1. the engine-free core (every .cpp and header under TowerCore/) compiles after a prelude
#     that defines Unreal's global macros (ue5-plugin/core/unreal_prelude.h: verify, check,
#     ensure, PI, LIKELY, TEXT, UE_LOG, FORCEINLINE, Windows' min/max, ...), in C++20 with
#     gcc and clang, -Wall -Wextra -Wpedantic -Werror, no exceptions, no RTTI; and the
#     prelude itself is shown to reject a colliding name;
#  2. scripts/unreal_lint.py over the plugin (format literals, .generated.h last, macro
#     collisions, .uplugin vs Build.cs), after its own unit tests on bad samples;
#  3. scripts/stage-ue5-plugin.sh with stand-in cargo/rustup/lipo for Win64, Mac and
#     Linux x86_64/aarch64 (scripts/stage-ue5-plugin-test.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."

bash scripts/install.d/60-cpp.sh

plugin=ue5-plugin/TowerGame
src="$plugin/Source/TowerGame"
prelude=ue5-plugin/core/unreal_prelude.h
flags=(-std=c++20 -Wall -Wextra -Wpedantic -Werror -fno-exceptions -fno-rtti
  -include "$prelude" -I "$src/Public" -I ffi/include)

echo "--- the prelude rejects a core name that collides with an Unreal macro"
for cxx in g++ clang++; do
  if echo 'struct Floor { static int verify(int seed, int floor); };' |
    "$cxx" "${flags[@]}" -x c++ -c - -o /dev/null 2>/dev/null; then
    echo "$cxx: the prelude let Floor::verify(a, b) through; it checks nothing"
    exit 1
  fi
done

echo "--- engine-free core under Unreal's macros: C++20, gcc and clang, warnings as errors"
mapfile -t sources < <(find "$src" -path '*/TowerCore/*' -name '*.cpp' | sort)
mapfile -t headers < <(find "$src" -path '*/TowerCore/*' -name '*.h' | sort)
[ ${#sources[@]} -gt 0 ] && [ ${#headers[@]} -gt 0 ] || { echo "no core sources under $src"; exit 1; }
failed=0
for cxx in g++ clang++; do
  for f in "${sources[@]}"; do
    "$cxx" "${flags[@]}" -c "$f" -o /dev/null || { echo "FAILED: $cxx $f"; failed=1; }
  done
  # Each header on its own, as a glue file includes it after CoreMinimal.h.
  for h in "${headers[@]}"; do
    echo "#include \"TowerCore/${h##*/TowerCore/}\"" |
      "$cxx" "${flags[@]}" -x c++ -c - -o /dev/null || { echo "FAILED: $cxx $h"; failed=1; }
  done
  echo "$cxx: ${#sources[@]} sources, ${#headers[@]} headers ok"
done
[ $failed -eq 0 ]

echo "--- unreal_lint: unit tests, then the plugin"
python3 scripts/unreal_lint_test.py
python3 scripts/unreal_lint.py "$plugin" "$prelude"

echo "--- stage-ue5-plugin.sh with stand-in toolchains"
bash scripts/stage-ue5-plugin-test.sh
