// Blueprint-facing types of the TowerGame plugin.
#pragma once

#include "CoreMinimal.h"
#include "TowerTypes.generated.h"

// Tile kinds, with the byte values of TowerTile in tower.h.
UENUM(BlueprintType)
enum class ETowerTile : uint8
{
	Wall = 0,
	Floor = 1,
	Door = 2,
	Corridor = 3,
	Entry = 4,
	StairsUp = 5,
	StairsDown = 6,
};

// How a floor is drawn.
UENUM(BlueprintType)
enum class ETowerFloorRenderMode : uint8
{
	// One UInstancedStaticMeshComponent per tile kind, one instance per tile: best for
	// art-made tile meshes.
	InstancedMeshes,
	// One UProceduralMeshComponent with a section per tile kind: flat-shaded boxes with
	// world-aligned UVs, no art needed.
	ProceduralMesh,
};

// A remote entity (player or monster) at the current render time, in world space. The
// protocol carries no facing: UTowerEntityComponent turns actors toward their motion.
USTRUCT(BlueprintType)
struct TOWERGAME_API FTowerEntity
{
	GENERATED_BODY()

	UPROPERTY(BlueprintReadOnly, Category = "Tower")
	int32 Id = 0;

	UPROPERTY(BlueprintReadOnly, Category = "Tower")
	int32 Kind = 0;

	UPROPERTY(BlueprintReadOnly, Category = "Tower")
	FVector Location = FVector::ZeroVector;

	UPROPERTY(BlueprintReadOnly, Category = "Tower")
	int32 Health = 0;
};
