#!/usr/bin/env bash
# What an Unreal build would reject, checked without Unreal (about 1 to 2 minutes):
#  1. the engine-free core (every .cpp and header under TowerCore/) compiles after a prelude
#     that defines Unreal's global macros (ue5-plugin/core/unreal_prelude.h: verify, check,
#     ensure, PI, LIKELY, TEXT, UE_LOG, FORCEINLINE, Windows' min/max, ...), in C++20 with
#     gcc and clang, -Wall -Wextra -Wpedantic -Werror, no exceptions, no RTTI; and the
#     prelude itself is shown to reject a colliding name;
#  2. every Unreal glue .cpp (and every core .cpp, as the module builds it) compiles against
#     ue5-plugin/standin, a declarations-only stand-in of the Unreal API and of
#     nakama-unreal 2.11: g++ and clang++, C++20, -Wall -Wextra -Wshadow -Wundef -Werror
#     (shadowing is MSVC C4456/C4457/C4458, an error under Unreal), with WITH_TOWER_NAKAMA
#     0 and 1, the module's private PCH force-included as UnrealBuildTool does when PCHs are
#     on; and once more without the PCH (clang++; WITH_TOWER_NAKAMA=1 too for the files
#     that test it), as a build without PCHs compiles them: every file must include what it
#     uses (the stand-in declares TRACE_CPUPROFILER_EVENT_SCOPE and TSoftObjectPtr only in
#     their own headers); first the stand-in is shown to reject each mistake Unreal rejects
#     (standin/tests/enforces.cpp);
#  3. the plain-C++ glue rules run (standin/tests/pie_identity_test.cpp);
#  4. scripts/unreal_lint.py over the plugin (format literals, .generated.h last, macro
#     collisions, parameters named like members, AddDynamic targets, #if on undefined
#     identifiers and tower.h through its wrapper, .uplugin vs Build.cs, icon, filter,
#     Cancel overrides returning early under garbage collection),
#     after its own unit tests on bad samples;
#  5. scripts/stage-ue5-plugin.sh with stand-in cargo/rustup/lipo for Win64, Mac and
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

standin=ue5-plugin/standin
jobs=$(nproc 2>/dev/null || echo 2)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# UnrealHeaderTool's *.generated.h: empty files (the stand-in's UCLASS & co. expand to nothing).
mkdir -p "$scratch/generated"
grep -rhoE '"[A-Za-z0-9_]+\.generated\.h"' "$src" | tr -d '"' | sort -u |
  while read -r g; do : > "$scratch/generated/$g"; done
# The module's private PCH, which UnrealBuildTool force-includes ahead of every source file
# when PCHs are in use (unreal_lint.py requires one that includes TowerFfiHeader.h).
pch=$(sed -n 's/.*PrivatePCHHeaderFile *= *"\([^"]*\)".*/\1/p' "$src/TowerGame.Build.cs")
pch=${pch:+$src/$pch}
standin_flags() { # $1 compiler
  local f=(-std=c++20 -fsyntax-only -Wall -Wextra -Wshadow -Wundef -Wno-unused-parameter -Werror
    -fno-exceptions -fno-rtti -I "$standin/Engine")
  # clang's -Wshadow leaves out parameters of static functions hiding inherited members.
  [ "$1" = clang++ ] && f+=(-Wshadow-all)
  printf '%s\n' "${f[@]}"
}

echo "--- stand-in Unreal API: it rejects each mistake Unreal rejects (standin/tests/enforces.cpp)"
cases=$(sed -n 's/^#define STANDIN_CASES \([0-9]*\)$/\1/p' "$standin/tests/enforces.cpp")
# gcc is the check for a local hiding an inherited member (cases 6, 9); clang has no warning for it.
clang_misses=" 6 9 "
for cxx in g++ clang++; do
  mapfile -t sf < <(standin_flags "$cxx")
  "$cxx" "${sf[@]}" -DSTANDIN_CASE=0 "$standin/tests/enforces.cpp" ||
    { echo "FAILED: $cxx: the valid sample does not compile against the stand-in"; exit 1; }
  for ((c = 1; c <= cases; c++)); do
    [ "$cxx" = clang++ ] && [[ "$clang_misses" == *" $c "* ]] && continue
    if "$cxx" "${sf[@]}" -DSTANDIN_CASE=$c "$standin/tests/enforces.cpp" 2>/dev/null; then
      echo "FAILED: $cxx accepted case $c of standin/tests/enforces.cpp: the stand-in stopped enforcing it"
      exit 1
    fi
  done
  echo "$cxx: the valid sample compiles, all $cases mistakes are rejected"
done

echo "--- every glue .cpp against the stand-in (g++ and clang++, C++20, -Wshadow -Werror, WITH_TOWER_NAKAMA=0 and 1; with and without the PCH)"
mapfile -t glue < <(find "$src" -name '*.cpp' -not -path '*/TowerCore/*' | sort)
mapfile -t core < <(find "$src" -name '*.cpp' -path '*/TowerCore/*' | sort)
[ ${#glue[@]} -gt 0 ] || { echo "no glue sources under $src"; exit 1; }
: > "$scratch/jobs"
for cxx in g++ clang++; do
  for nakama in 0 1; do
    for f in "${glue[@]}"; do echo "$cxx $nakama pch $f" >> "$scratch/jobs"; done
  done
  # The core as the module compiles it: after the PCH, under the engine's real macros.
  for f in "${core[@]}"; do echo "$cxx 0 pch $f" >> "$scratch/jobs"; done
done
# Without the PCH (UnrealBuildTool with bUsePCHFiles off, -NoPCH, IWYU builds): each file
# on its own includes. One compiler is enough for includes (clang++, the faster one), and
# WITH_TOWER_NAKAMA=1 changes the includes only of the files that test it.
for f in "${glue[@]}"; do
  echo "clang++ 0 nopch $f" >> "$scratch/jobs"
  if grep -q WITH_TOWER_NAKAMA "$f"; then echo "clang++ 1 nopch $f" >> "$scratch/jobs"; fi
done
compile_one() { # cxx nakama pch|nopch file
  local cxx=$1 nakama=$2 mode=$3 file=$4 inc=(-I "$src/Public" -I "$src/Private" -I ffi/include -I "$scratch/generated")
  [ "$nakama" = 1 ] && inc+=(-I "$standin/Nakama")
  mapfile -t sf < <(standin_flags "$cxx")
  [ -n "$pch" ] && [ "$mode" = pch ] && inc+=(-include "$pch")
  if ! out=$("$cxx" "${sf[@]}" "${inc[@]}" -DWITH_TOWER_NAKAMA="$nakama" \
      -DTOWER_NAKAMA_TOO_OLD=0 "$file" 2>&1); then
    printf 'FAILED: %s WITH_TOWER_NAKAMA=%s %s %s\n%s\n' "$cxx" "$nakama" "${mode/nopch/without the PCH}" "$file" "$out"
    return 1
  fi
}
export -f compile_one standin_flags
export src standin scratch pch
if ! xargs -P "$jobs" -L 1 bash -c 'compile_one "$@"' _ < "$scratch/jobs"; then
  echo "the glue does not compile against the stand-in (above)"
  exit 1
fi
for f in "${glue[@]}"; do echo "  ${f#"$src"/}"; done
echo "compiled ${#glue[@]} glue sources x {g++, clang++} x WITH_TOWER_NAKAMA {0, 1} under the PCH, once more without it (clang++), and ${#core[@]} core sources under the module's PCH: ok"

echo "--- plain-C++ glue rules (standin/tests/pie_identity_test.cpp)"
g++ -std=c++20 -Wall -Wextra -Werror -I "$src/Public" "$standin/tests/pie_identity_test.cpp" -o "$scratch/pie_identity_test"
"$scratch/pie_identity_test"

echo "--- unreal_lint: unit tests, then the plugin"
python3 scripts/unreal_lint_test.py
python3 scripts/unreal_lint.py "$plugin" "$prelude" --standin "$standin" --ffi-header ffi/include/tower.h

echo "--- stage-ue5-plugin.sh with stand-in toolchains"
bash scripts/stage-ue5-plugin-test.sh
