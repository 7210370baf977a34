#include "TowerBlueprintLibrary.h"

#include "Engine/Engine.h"
#include "Engine/GameInstance.h"
#include "Engine/World.h"
#include "TowerClientSubsystem.h"
#include "TowerCoreIncludes.h"
#include "TowerGameModule.h"
#include "TowerSettings.h"

bool UTowerBlueprintLibrary::GetFloorHash(int64 Seed, int32 Floor, FString& OutHash, FString& OutError)
{
	tower::Result<tower::Floor> Generated{tower::Error{}};
	if (!TowerGenerateFloor(Seed, Floor, Generated, OutError))
	{
		return false;
	}
	const tower::Result<tower::FloorHash> Hash = Generated.value().hash();
	if (!Hash.ok())
	{
		OutError = TowerToFString(Hash.error().message);
		return false;
	}
	OutHash = TowerToFString(tower::to_hex(Hash.value()));
	return true;
}

bool UTowerBlueprintLibrary::IsFloorHashValid(int64 Seed, int32 Floor, const FString& Hash, FString& OutError)
{
	if (!TowerFloorCallAllowed(Floor, OutError))
	{
		return false;
	}
	const std::optional<tower::FloorHash> Expected = tower::parse_hex(TowerToStd(Hash.TrimStartAndEnd()));
	if (!Expected)
	{
		OutError = TEXT("Tower: a floor hash is 64 hex digits");
		return false;
	}
	const tower::Status Checked =
		tower::Floor::verify_hash(static_cast<uint64>(Seed), static_cast<uint32>(Floor), *Expected);
	if (!Checked.ok())
	{
		OutError = TowerToFString(Checked.error().message);
		return false;
	}
	return true;
}

int32 UTowerBlueprintLibrary::GetGeneratorVersion()
{
	return FTowerGameModule::IsLibraryReady() ? static_cast<int32>(tower_generator_version()) : 0;
}

void UTowerBlueprintLibrary::GetAbiVersions(int32& OutLibrary, int32& OutHeader)
{
	OutLibrary = static_cast<int32>(FTowerGameModule::GetLibraryAbiVersion());
	OutHeader = static_cast<int32>(FTowerGameModule::GetHeaderAbiVersion());
}

bool UTowerBlueprintLibrary::IsLibraryReady(FString& OutError)
{
	OutError = FTowerGameModule::GetLibraryError();
	return FTowerGameModule::IsLibraryReady();
}

bool UTowerBlueprintLibrary::IsValidDeviceId(const FString& DeviceId, FString& OutProblem)
{
	OutProblem = TowerToFString(tower::device_id_problem(TowerToStd(DeviceId)));
	return OutProblem.IsEmpty();
}

FVector UTowerBlueprintLibrary::TowerTileToWorld(const UObject* WorldContextObject, FVector2D Tile)
{
	const UWorld* World = GEngine != nullptr && WorldContextObject != nullptr
		? GEngine->GetWorldFromContextObject(WorldContextObject, EGetWorldErrorMode::ReturnNull)
		: nullptr;
	const UGameInstance* GameInstance = World != nullptr ? World->GetGameInstance() : nullptr;
	if (const UTowerClientSubsystem* Tower = GameInstance != nullptr ? GameInstance->GetSubsystem<UTowerClientSubsystem>() : nullptr)
	{
		return Tower->TileToWorld(Tile);
	}
	const tower::LocalPoint Local = tower::make_tile_space(UTowerSettings::Get()->TileSizeCm).to_local(Tile.X, Tile.Y);
	return FVector(Local.x, Local.y, Local.z);
}
