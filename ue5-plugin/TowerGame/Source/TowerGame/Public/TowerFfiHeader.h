// tower.h (cbindgen's header of the tower_ffi library), included the way Unreal wants a
// third-party C header. tower.h tests `__STDC_VERSION__` in `#if` lines (`defined(__cplusplus)
// || __STDC_VERSION__ >= 202311L`), an identifier a C++ compiler leaves undefined. MSVC warns
// about it (C4668) even where `||` makes it irrelevant, and UE 5.7's BuildSettingsVersion.V6
// makes that warning an error. Every plugin file, the engine-free core included, reaches
// tower.h through this header (scripts/unreal_lint.py checks it); it works in the CMake build
// of the core too, where none of the Unreal macros exist.
#pragma once

#if defined(THIRD_PARTY_INCLUDES_START)
THIRD_PARTY_INCLUDES_START
#endif
#if defined(_MSC_VER)
#pragma warning(push)
#pragma warning(disable : 4668)
#endif

#include "tower.h"

#if defined(_MSC_VER)
#pragma warning(pop)
#endif
#if defined(THIRD_PARTY_INCLUDES_END)
THIRD_PARTY_INCLUDES_END
#endif
