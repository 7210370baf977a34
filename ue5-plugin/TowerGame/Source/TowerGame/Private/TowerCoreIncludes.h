// The engine-free core and the C header, included the way Unreal wants third-party code:
// between THIRD_PARTY_INCLUDES_START/END, so their warnings follow the library's rules, not
// the engine's. Glue .cpp files include this instead of the TowerCore headers one by one.
#pragma once

#include "CoreMinimal.h"

THIRD_PARTY_INCLUDES_START
#include "tower.h"
#include "TowerCore/Endpoint.h"
#include "TowerCore/EntityEvents.h"
#include "TowerCore/FloorMesh.h"
#include "TowerCore/MatchNotification.h"
#include "TowerCore/NetStats.h"
#include "TowerCore/Result.h"
#include "TowerCore/TileSpace.h"
#include "TowerCore/TowerClient.h"
#include "TowerCore/TowerFfi.h"
THIRD_PARTY_INCLUDES_END

// Strings across the boundary: the core speaks UTF-8 std::string.
inline FString TowerToFString(const std::string& Text)
{
	return FString(UTF8_TO_TCHAR(Text.c_str()));
}

inline std::string TowerToStd(const FString& Text)
{
	return std::string(TCHAR_TO_UTF8(*Text));
}
