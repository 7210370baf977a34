// The TowerGame module's private precompiled header (TowerGame.Build.cs: PrivatePCHHeaderFile).
// Unreal force-includes it ahead of every source file of the module, so tower.h is always
// first seen through TowerFfiHeader.h (MSVC C4668 silenced), even from an engine-free core
// file that includes "tower.h" itself: its include guard makes the later include a no-op.
#pragma once

#include "CoreMinimal.h"
#include "TowerFfiHeader.h"
