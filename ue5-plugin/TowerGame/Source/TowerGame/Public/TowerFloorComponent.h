// Draws a Tower floor regenerated locally from (seed, floor) by the tower_ffi library,
// through the engine-free builder in TowerCore/FloorMesh.h.
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

	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tower|Floor")
	ETowerFloorRenderMode RenderMode = ETowerFloorRenderMode::InstancedMeshes;

	// Edge of one tile in centimetres (Unreal units). Must match UTowerClientSubsystem::TileSizeCm.
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tower|Floor", meta = (ClampMin = "10.0"))
	float TileSizeCm = 400.0f;

	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tower|Floor", meta = (ClampMin = "10.0"))
	float WallHeightCm = 400.0f;

	// X/Y and Z size of the meshes in TileMeshes, pivot at the centre of the bottom face.
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tower|Floor|Instanced", meta = (ClampMin = "1.0"))
	float SourceMeshSizeCm = 100.0f;

	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tower|Floor|Instanced", meta = (ClampMin = "1.0"))
	float SourceMeshHeightCm = 100.0f;

	// Mesh per tile kind (InstancedMeshes mode). Kinds without a mesh are not drawn.
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tower|Floor|Instanced")
	TMap<ETowerTile, TObjectPtr<UStaticMesh>> TileMeshes;

	// Material per tile kind (both modes; in InstancedMeshes mode it overrides slot 0).
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tower|Floor")
	TMap<ETowerTile, TObjectPtr<UMaterialInterface>> TileMaterials;

	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tower|Floor")
	bool bCreateCollision = true;

	// Regenerates floor `Floor` of tower `Seed` and rebuilds the geometry. False (with
	// OutError) when the library is not loaded or the arguments are rejected.
	UFUNCTION(BlueprintCallable, Category = "Tower|Floor")
	bool BuildFloor(int64 Seed, int32 Floor, FString& OutError);

	// Builds from a floor the client already regenerated and proved (C++ only).
	bool BuildFromFloor(const tower::Floor& Floor, FString& OutError);

	UFUNCTION(BlueprintCallable, Category = "Tower|Floor")
	void ClearFloor();

	// World location of a point in tile units (e.g. (12.5, 3.5) = centre of tile (12, 3)).
	UFUNCTION(BlueprintPure, Category = "Tower|Floor")
	FVector TileToWorld(FVector2D Tile) const;

	UPROPERTY(BlueprintAssignable, Category = "Tower|Floor")
	FOnTowerFloorBuilt OnFloorBuilt;

	UPROPERTY(VisibleInstanceOnly, BlueprintReadOnly, Category = "Tower|Floor")
	int32 FloorWidth = 0;

	UPROPERTY(VisibleInstanceOnly, BlueprintReadOnly, Category = "Tower|Floor")
	int32 FloorHeight = 0;

	// SHA3-256 of the floor (hex): the same string the server and `tower-floor hash` print.
	UPROPERTY(VisibleInstanceOnly, BlueprintReadOnly, Category = "Tower|Floor")
	FString FloorHash;

	UPROPERTY(VisibleInstanceOnly, BlueprintReadOnly, Category = "Tower|Floor")
	FVector EntryLocation = FVector::ZeroVector;

	UPROPERTY(VisibleInstanceOnly, BlueprintReadOnly, Category = "Tower|Floor")
	FVector StairsUpLocation = FVector::ZeroVector;

protected:
	virtual void OnComponentDestroyed(bool bDestroyingHierarchy) override;

private:
	void BuildInstanced(const tower::TileGrid& Grid);
	void BuildProcedural(const tower::TileGrid& Grid);

	UPROPERTY(Transient)
	TArray<TObjectPtr<UInstancedStaticMeshComponent>> InstanceComponents;

	UPROPERTY(Transient)
	TObjectPtr<UProceduralMeshComponent> ProceduralMesh;
};
