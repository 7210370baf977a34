// Draws a Tower floor regenerated locally from (seed, floor) by the tower_ffi library,
// through the engine-free builder in TowerCore/FloorMesh.h. Drawing settings (tile size,
// render mode, meshes) come from Project Settings > Tower; the component's transform places
// the floor. The components it generates are transient and tagged: every build removes the
// previous ones first, so construction scripts and editor previews never pile them up.
#pragma once

#include "Components/SceneComponent.h"
#include "CoreMinimal.h"
#include "TowerTypes.h"
#include "TowerFloorComponent.generated.h"

class UInstancedStaticMeshComponent;
class UMaterialInterface;
class UProceduralMeshComponent;
class UStaticMesh;

namespace tower
{
	class Floor;
	struct TileGrid;
}

DECLARE_DYNAMIC_MULTICAST_DELEGATE_TwoParams(FOnTowerFloorBuilt, int64, Seed, int32, Floor);

UCLASS(ClassGroup = (Tower), meta = (BlueprintSpawnableComponent))
class TOWERGAME_API UTowerFloorComponent : public USceneComponent
{
	GENERATED_BODY()

public:
	UTowerFloorComponent();

	// Tag on every component this one generates (and removes before each build).
	static const FName GeneratedTag;

	// Material per tile kind for this floor only; kinds not listed use Project Settings.
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tower|Floor")
	TMap<ETowerTile, TObjectPtr<UMaterialInterface>> TileMaterials;

	// In a game world, building makes this the floor that places server positions
	// (UTowerClientSubsystem::SetActiveFloor).
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tower|Floor")
	bool bBecomeActiveFloor = true;

	// Regenerates floor `Floor` of tower `Seed` and rebuilds the geometry. False (with
	// OutError) when the library is not loaded or the arguments are rejected.
	UFUNCTION(BlueprintCallable, Category = "Tower|Floor")
	bool BuildFloor(int64 Seed, int32 Floor, FString& OutError);

	// Builds the floor the connected client regenerated and proved (after OnFloorReady).
	UFUNCTION(BlueprintCallable, Category = "Tower|Floor")
	bool BuildFromClient(FString& OutError);

	// Builds from a floor the caller owns (C++ only).
	bool BuildFromFloor(const tower::Floor& Floor, FString& OutError);

	// Removes the generated geometry.
	UFUNCTION(BlueprintCallable, Category = "Tower|Floor")
	void ClearFloor();

	// World location of a point in tile units (e.g. (12.5, 3.5) = centre of tile (12, 3)).
	UFUNCTION(BlueprintPure, Category = "Tower|Floor")
	FVector TileToWorld(FVector2D Tile) const;

	UFUNCTION(BlueprintPure, Category = "Tower|Floor")
	FVector2D WorldToTile(FVector Location) const;

	UPROPERTY(BlueprintAssignable, Category = "Tower|Floor")
	FOnTowerFloorBuilt OnFloorBuilt;

	UPROPERTY(VisibleInstanceOnly, Transient, BlueprintReadOnly, Category = "Tower|Floor")
	int64 BuiltSeed = 0;

	UPROPERTY(VisibleInstanceOnly, Transient, BlueprintReadOnly, Category = "Tower|Floor")
	int32 BuiltFloor = 0;

	UPROPERTY(VisibleInstanceOnly, Transient, BlueprintReadOnly, Category = "Tower|Floor")
	int32 FloorWidth = 0;

	UPROPERTY(VisibleInstanceOnly, Transient, BlueprintReadOnly, Category = "Tower|Floor")
	int32 FloorHeight = 0;

	// SHA3-256 of the floor (hex): the same string the server and `tower-floor hash` print.
	UPROPERTY(VisibleInstanceOnly, Transient, BlueprintReadOnly, Category = "Tower|Floor")
	FString FloorHash;

	UPROPERTY(VisibleInstanceOnly, Transient, BlueprintReadOnly, Category = "Tower|Floor")
	FVector EntryLocation = FVector::ZeroVector;

	UPROPERTY(VisibleInstanceOnly, Transient, BlueprintReadOnly, Category = "Tower|Floor")
	FVector StairsUpLocation = FVector::ZeroVector;

	// Floor 0 has no stairs down; then StairsDownLocation is the zero vector.
	UPROPERTY(VisibleInstanceOnly, Transient, BlueprintReadOnly, Category = "Tower|Floor")
	bool bHasStairsDown = false;

	UPROPERTY(VisibleInstanceOnly, Transient, BlueprintReadOnly, Category = "Tower|Floor")
	FVector StairsDownLocation = FVector::ZeroVector;

	// Monster and loot points of the built floor, sorted by tile row, column, kind, level.
	UPROPERTY(VisibleInstanceOnly, Transient, BlueprintReadOnly, Category = "Tower|Floor")
	TArray<FTowerSpawn> Spawns;

	// Why the last build drew less than asked (e.g. tile meshes missing), or empty.
	UPROPERTY(VisibleInstanceOnly, Transient, BlueprintReadOnly, Category = "Tower|Floor")
	FString LastWarning;

protected:
	virtual void OnComponentDestroyed(bool bDestroyingHierarchy) override;

private:
	void BuildInstanced(const tower::TileGrid& Grid);
	void BuildProcedural(const tower::TileGrid& Grid);
	void DestroyGenerated();
	UMaterialInterface* MaterialFor(ETowerTile Tile) const;
};
