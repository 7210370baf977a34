// Blueprint helpers over the library: floor hash and hash check, generator and ABI
// versions, library status, device-id check, the tile <-> world mapping.
#pragma once

#include "CoreMinimal.h"
#include "Kismet/BlueprintFunctionLibrary.h"
#include "TowerBlueprintLibrary.generated.h"

UCLASS()
class TOWERGAME_API UTowerBlueprintLibrary : public UBlueprintFunctionLibrary
{
	GENERATED_BODY()

public:
	// SHA3-256 of floor `Floor` of tower `Seed`, as 64 hex digits: the string the server
	// and `tower-floor hash` print.
	UFUNCTION(BlueprintCallable, Category = "Tower|Floor")
	static bool GetFloorHash(int64 Seed, int32 Floor, FString& OutHash, FString& OutError);

	// Regenerates (Seed, Floor) and compares with Hash (64 hex digits). False with a reason
	// when they differ or the arguments are bad.
	UFUNCTION(BlueprintCallable, Category = "Tower|Floor")
	static bool IsFloorHashValid(int64 Seed, int32 Floor, const FString& Hash, FString& OutError);

	// procgen's generator version (covered by every floor hash); 0 when the library is not loaded.
	UFUNCTION(BlueprintPure, Category = "Tower|Library")
	static int32 GetGeneratorVersion();

	// ABI version of the loaded library (0 when not loaded) and of the header the plugin
	// was compiled against; the module refuses a library whose version differs.
	UFUNCTION(BlueprintPure, Category = "Tower|Library")
	static void GetAbiVersions(int32& OutLibrary, int32& OutHeader);

	UFUNCTION(BlueprintPure, Category = "Tower|Library")
	static bool IsLibraryReady(FString& OutError);

	// Nakama's device-id rule (10 to 128 bytes); OutProblem says what is wrong.
	UFUNCTION(BlueprintPure, Category = "Tower|Nakama")
	static bool IsValidDeviceId(const FString& DeviceId, FString& OutProblem);

	// Tile units -> world, through the game instance's active floor (see UTowerClientSubsystem).
	UFUNCTION(BlueprintPure, Category = "Tower|Floor", meta = (WorldContext = "WorldContextObject"))
	static FVector TowerTileToWorld(const UObject* WorldContextObject, FVector2D Tile);
};
