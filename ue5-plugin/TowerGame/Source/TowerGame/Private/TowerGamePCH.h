// The TowerGame module's private precompiled header (TowerGame.Build.cs: PrivatePCHHeaderFile).
// UnrealBuildTool builds it and force-includes it ahead of the module's source files only
// when PCHs are in use (bUsePCHFiles, and a PCHUsage other than NoPCHs); a build without
// PCHs (-NoPCH, bUsePCHFiles = false, IWYU checks) compiles every file on its own. So this
// header is a speed-up, never a correctness requirement: every file includes what it uses,
// and tower.h is reached only through TowerFfiHeader.h (scripts/unreal_lint.py checks it),
// which silences MSVC C4668 around it. scripts/test.d/65-unreal-checks.sh compiles the glue
// both with and without it.
#pragma once

#include "CoreMinimal.h"
#include "TowerFfiHeader.h"
