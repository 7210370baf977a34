// The engine-free core and the C header, included the way Unreal wants third-party code:
// tower.h through TowerFfiHeader.h, the core between THIRD_PARTY_INCLUDES_START/END, so
// their warnings follow the library's rules, not the engine's. Glue .cpp files include this
// instead of the TowerCore headers one by one.
#pragma once

#include "CoreMinimal.h"
#include "TowerGameModule.h"

#include "TowerFfiHeader.h"
THIRD_PARTY_INCLUDES_START
#include "TowerCore/Endpoint.h"
#include "TowerCore/EntityEvents.h"
#include "TowerCore/FloorMesh.h"
#include "TowerCore/MatchNotification.h"
#include "TowerCore/NetStats.h"
#include "TowerCore/Reconnect.h"
#include "TowerCore/Result.h"
#include "TowerCore/Session.h"
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

// What every floor call from Blueprints checks first: the library is loaded (calling into a
// delay-loaded library that failed to load would crash) and the floor number fits the C
// ABI's uint32.
inline bool TowerFloorCallAllowed(int32 Floor, FString& OutError)
{
	if (!FTowerGameModule::IsLibraryReady())
	{
		OutError = FTowerGameModule::GetLibraryError();
		return false;
	}
	if (Floor < 0)
	{
		OutError = TEXT("Tower: floor number must not be negative");
		return false;
	}
	return true;
}

// Generates (seed, floor) through the library. Blueprints have no unsigned 64-bit integer:
// the seed's bits travel in an int64.
inline bool TowerGenerateFloor(int64 Seed, int32 Floor, tower::Result<tower::Floor>& Out, FString& OutError)
{
	if (!TowerFloorCallAllowed(Floor, OutError))
	{
		return false;
	}
	Out = tower::Floor::generate(static_cast<uint64>(Seed), static_cast<uint32>(Floor));
	if (!Out.ok())
	{
		OutError = TowerToFString(Out.error().message);
		return false;
	}
	return true;
}
