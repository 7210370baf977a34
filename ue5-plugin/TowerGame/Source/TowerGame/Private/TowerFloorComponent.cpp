#include "TowerFloorComponent.h"

#include "Components/InstancedStaticMeshComponent.h"
#include "Engine/GameInstance.h"
#include "Engine/StaticMesh.h"
#include "Engine/World.h"
#include "GameFramework/Actor.h"
#include "Materials/MaterialInterface.h"
#include "ProceduralMeshComponent.h"
#include "ProfilingDebugging/CpuProfilerTrace.h"
#include "TowerClientSubsystem.h"
#include "TowerCoreIncludes.h"
#include "TowerGameModule.h"
#include "TowerSettings.h"

const FName UTowerFloorComponent::GeneratedTag(TEXT("TowerFloorGenerated"));

namespace
{
	// The engine cube: 100 cm, pivot in its centre. Used for tile kinds without a mesh.
	const TCHAR* const EngineCubePath = TEXT("/Engine/BasicShapes/Cube.Cube");

	FVector ToFVector(const tower::Vec3& V)
	{
		return FVector(V.x, V.y, V.z);
	}

	tower::FloorMeshOptions TowerFloorMeshOptions(const UTowerSettings& Settings, float SourceSize, float SourceHeight)
	{
		tower::FloorMeshOptions Options;
		Options.tile_size_cm = static_cast<float>(tower::make_tile_space(Settings.TileSizeCm).tile_size_cm());
		Options.wall_height_cm = FMath::Max(Settings.WallHeightCm, 1.0f);
		Options.source_mesh_size_cm = FMath::Max(SourceSize, 1.0f);
		Options.source_mesh_height_cm = FMath::Max(SourceHeight, 1.0f);
		return Options;
	}

	FString TileName(int32 Kind)
	{
		return StaticEnum<ETowerTile>()->GetNameStringByValue(Kind);
	}
}

UTowerFloorComponent::UTowerFloorComponent()
{
	PrimaryComponentTick.bCanEverTick = false;
}

bool UTowerFloorComponent::BuildFloor(int64 Seed, int32 Floor, FString& OutError)
{
	tower::Result<tower::Floor> Generated{tower::Error{}};
	if (!TowerGenerateFloor(Seed, Floor, Generated, OutError))
	{
		return false;
	}
	return BuildFromFloor(Generated.value(), OutError);
}

bool UTowerFloorComponent::BuildFromClient(FString& OutError)
{
	const UWorld* World = GetWorld();
	const UGameInstance* GameInstance = World != nullptr ? World->GetGameInstance() : nullptr;
	const UTowerClientSubsystem* Tower =
		GameInstance != nullptr ? GameInstance->GetSubsystem<UTowerClientSubsystem>() : nullptr;
	const tower::Floor* Current = Tower != nullptr ? Tower->GetCurrentFloor() : nullptr;
	if (Current == nullptr)
	{
		OutError = TEXT("Tower: no floor from the server yet (build after OnFloorReady)");
		return false;
	}
	return BuildFromFloor(*Current, OutError);
}

bool UTowerFloorComponent::BuildFromFloor(const tower::Floor& Floor, FString& OutError)
{
	TRACE_CPUPROFILER_EVENT_SCOPE(UTowerFloorComponent::BuildFromFloor);
	if (!FTowerGameModule::IsLibraryReady())
	{
		OutError = FTowerGameModule::GetLibraryError();
		return false;
	}
	if (GetOwner() == nullptr)
	{
		OutError = TEXT("Tower: the floor component must belong to an actor (its meshes are added to it)");
		return false;
	}
	const tower::Result<TowerFloorInfo> Info = Floor.info();
	if (!Info.ok())
	{
		OutError = TowerToFString(Info.error().message);
		return false;
	}
	const tower::Result<tower::TileGrid> Grid = Floor.grid();
	if (!Grid.ok())
	{
		OutError = TowerToFString(Grid.error().message);
		return false;
	}
	const tower::Result<tower::FloorHash> Hash = Floor.hash();
	if (!Hash.ok())
	{
		OutError = TowerToFString(Hash.error().message);
		return false;
	}
	const tower::Result<std::vector<TowerSpawn>> FloorSpawns = Floor.spawns();
	if (!FloorSpawns.ok())
	{
		OutError = TowerToFString(FloorSpawns.error().message);
		return false;
	}

	ClearFloor();
	BuiltSeed = static_cast<int64>(Info.value().seed);
	BuiltFloor = static_cast<int32>(Info.value().floor);
	FloorWidth = Info.value().width;
	FloorHeight = Info.value().height;
	FloorHash = TowerToFString(tower::to_hex(Hash.value()));
	EntryLocation = TileToWorld(FVector2D(Info.value().entry_x + 0.5, Info.value().entry_y + 0.5));
	StairsUpLocation = TileToWorld(FVector2D(Info.value().stairs_up_x + 0.5, Info.value().stairs_up_y + 0.5));
	bHasStairsDown = Info.value().has_stairs_down != 0;
	StairsDownLocation = bHasStairsDown
		? TileToWorld(FVector2D(Info.value().stairs_down_x + 0.5, Info.value().stairs_down_y + 0.5))
		: FVector::ZeroVector;
	Spawns.Reset();
	Spawns.Reserve(static_cast<int32>(FloorSpawns.value().size()));
	for (const TowerSpawn& Raw : FloorSpawns.value())
	{
		FTowerSpawn& Spawn = Spawns.AddDefaulted_GetRef();
		Spawn.Kind = static_cast<ETowerSpawnKind>(Raw.kind);
		Spawn.Level = Raw.level;
		Spawn.Tile = FVector2D(Raw.x + 0.5, Raw.y + 0.5);
		Spawn.Location = TileToWorld(Spawn.Tile);
	}

	if (UTowerSettings::Get()->RenderMode == ETowerFloorRenderMode::InstancedMeshes)
	{
		BuildInstanced(Grid.value());
	}
	else
	{
		BuildProcedural(Grid.value());
	}

	UWorld* World = GetWorld();
	if (bBecomeActiveFloor && World != nullptr && World->IsGameWorld())
	{
		UGameInstance* GameInstance = World->GetGameInstance();
		if (UTowerClientSubsystem* Tower = GameInstance != nullptr ? GameInstance->GetSubsystem<UTowerClientSubsystem>() : nullptr)
		{
			Tower->SetActiveFloor(this);
		}
	}
	UE_LOG(LogTowerFloor, Log, TEXT("Tower: built floor %u of seed %llu (%dx%d, hash %s)"),
		Info.value().floor, static_cast<unsigned long long>(Info.value().seed), FloorWidth, FloorHeight, *FloorHash);
	OnFloorBuilt.Broadcast(BuiltSeed, BuiltFloor);
	return true;
}

UMaterialInterface* UTowerFloorComponent::MaterialFor(ETowerTile Tile) const
{
	if (const TObjectPtr<UMaterialInterface>* Own = TileMaterials.Find(Tile))
	{
		if (*Own != nullptr)
		{
			return *Own;
		}
	}
	if (const TSoftObjectPtr<UMaterialInterface>* Project = UTowerSettings::Get()->TileMaterials.Find(Tile))
	{
		return Project->LoadSynchronous();
	}
	return nullptr;
}

void UTowerFloorComponent::BuildInstanced(const tower::TileGrid& Grid)
{
	const UTowerSettings& Settings = *UTowerSettings::Get();
	const tower::FloorInstances Configured = tower::build_instances(
		Grid, TowerFloorMeshOptions(Settings, Settings.SourceMeshSizeCm, Settings.SourceMeshHeightCm));
	// The engine cube is 100 cm with a centred pivot, whatever the settings say.
	const tower::FloorInstances Cube = tower::build_instances(Grid, TowerFloorMeshOptions(Settings, 100.0f, 100.0f));

	TArray<FString> Missing;
	AActor* Owner = GetOwner();
	for (int32 Kind = 0; Kind < static_cast<int32>(tower::kTileKinds); ++Kind)
	{
		const size_t Index = static_cast<size_t>(Kind);
		if (Configured.by_kind[Index].empty())
		{
			continue;
		}
		const ETowerTile Tile = static_cast<ETowerTile>(Kind);
		const TSoftObjectPtr<UStaticMesh>* Assigned = Settings.TileMeshes.Find(Tile);
		UStaticMesh* Mesh = Assigned != nullptr ? Assigned->LoadSynchronous() : nullptr;
		const bool bFallback = Mesh == nullptr;
		if (bFallback)
		{
			Missing.Add(TileName(Kind));
			Mesh = LoadObject<UStaticMesh>(nullptr, EngineCubePath);
			if (Mesh == nullptr)
			{
				continue;
			}
		}
		const std::vector<tower::InstanceTransform>& Source = bFallback ? Cube.by_kind[Index] : Configured.by_kind[Index];
		const tower::MeshPivot Pivot = bFallback ? tower::MeshPivot::Centre : static_cast<tower::MeshPivot>(Settings.MeshPivot);
		const double SourceHeight = bFallback ? 100.0 : FMath::Max(Settings.SourceMeshHeightCm, 1.0f);

		UInstancedStaticMeshComponent* Ism = NewObject<UInstancedStaticMeshComponent>(Owner, NAME_None, RF_Transient);
		Ism->ComponentTags.Add(GeneratedTag);
		Ism->SetupAttachment(this);
		Ism->SetStaticMesh(Mesh);
		if (UMaterialInterface* Material = MaterialFor(Tile))
		{
			Ism->SetMaterial(0, Material);
		}
		Ism->SetCollisionEnabled(Settings.bCreateCollision ? ECollisionEnabled::QueryAndPhysics : ECollisionEnabled::NoCollision);
		Ism->RegisterComponent();

		TArray<FTransform> Transforms;
		Transforms.Reserve(static_cast<int32>(Source.size()));
		for (const tower::InstanceTransform& T : Source)
		{
			FVector Location = ToFVector(T.location);
			Location.Z += tower::pivot_lift_cm(Pivot, Tile == ETowerTile::Wall, SourceHeight, T.scale.z);
			Transforms.Emplace(FRotator(0.0, T.yaw_degrees, 0.0), Location, ToFVector(T.scale));
		}
		Ism->AddInstances(Transforms, /*bShouldReturnIndices=*/false, /*bWorldSpace=*/false);
	}
	if (Missing.Num() > 0)
	{
		LastWarning = FString::Printf(
			TEXT("Tower: no tile mesh set for %s in Project Settings > Tower > Floors; drawing the engine cube instead"),
			*FString::Join(Missing, TEXT(", ")));
		UE_LOG(LogTowerFloor, Warning, TEXT("%s"), *LastWarning);
	}
}

void UTowerFloorComponent::BuildProcedural(const tower::TileGrid& Grid)
{
	const UTowerSettings& Settings = *UTowerSettings::Get();
	const tower::FloorMesh Mesh =
		tower::build_mesh(Grid, TowerFloorMeshOptions(Settings, Settings.SourceMeshSizeCm, Settings.SourceMeshHeightCm));
	UProceduralMeshComponent* Procedural = NewObject<UProceduralMeshComponent>(GetOwner(), NAME_None, RF_Transient);
	Procedural->ComponentTags.Add(GeneratedTag);
	// Collision is cooked on a worker thread: a big floor never stalls the frame (or an
	// editor drag) while PhysX/Chaos builds it; queries see it a few frames later.
	Procedural->bUseAsyncCooking = true;
	Procedural->SetupAttachment(this);
	Procedural->RegisterComponent();

	for (int32 Kind = 0; Kind < static_cast<int32>(tower::kTileKinds); ++Kind)
	{
		const tower::MeshSection& Section = Mesh.sections[static_cast<size_t>(Kind)];
		TArray<FVector> Vertices;
		TArray<FVector> Normals;
		TArray<FVector2D> Uvs;
		TArray<int32> Triangles;
		Vertices.Reserve(static_cast<int32>(Section.vertices.size()));
		Normals.Reserve(static_cast<int32>(Section.normals.size()));
		Uvs.Reserve(static_cast<int32>(Section.uvs.size()));
		for (size_t I = 0; I < Section.vertices.size(); ++I)
		{
			Vertices.Add(ToFVector(Section.vertices[I]));
			Normals.Add(ToFVector(Section.normals[I]));
			Uvs.Add(FVector2D(Section.uvs[I].u, Section.uvs[I].v));
		}
		Triangles.Append(Section.triangles.data(), static_cast<int32>(Section.triangles.size()));
		// Empty sections are still created so section index == tile kind for materials.
		Procedural->CreateMeshSection_LinearColor(Kind, Vertices, Triangles, Normals, Uvs,
			TArray<FLinearColor>(), TArray<FProcMeshTangent>(), Settings.bCreateCollision, /*bSRGBConversion=*/false);
		if (UMaterialInterface* Material = MaterialFor(static_cast<ETowerTile>(Kind)))
		{
			Procedural->SetMaterial(Kind, Material);
		}
	}
}

void UTowerFloorComponent::DestroyGenerated()
{
	AActor* Owner = GetOwner();
	if (Owner == nullptr)
	{
		return;
	}
	// Found by tag, not by remembered pointers: a construction-script rerun or an undo
	// gives this component fresh (empty) members while the old children still exist.
	TArray<UActorComponent*> Generated;
	for (UActorComponent* Component : Owner->GetComponents())
	{
		const USceneComponent* Scene = Cast<USceneComponent>(Component);
		if (Scene != nullptr && Scene->ComponentHasTag(GeneratedTag) &&
			(Scene->GetAttachParent() == this || Scene->GetAttachParent() == nullptr))
		{
			Generated.Add(Component);
		}
	}
	for (UActorComponent* Component : Generated)
	{
		Component->DestroyComponent();
	}
}

void UTowerFloorComponent::ClearFloor()
{
	DestroyGenerated();
	BuiltSeed = 0;
	BuiltFloor = 0;
	FloorWidth = 0;
	FloorHeight = 0;
	FloorHash.Reset();
	LastWarning.Reset();
	bHasStairsDown = false;
	StairsDownLocation = FVector::ZeroVector;
	Spawns.Reset();
}

FVector UTowerFloorComponent::TileToWorld(FVector2D Tile) const
{
	const tower::LocalPoint Local = tower::make_tile_space(UTowerSettings::Get()->TileSizeCm).to_local(Tile.X, Tile.Y);
	return GetComponentTransform().TransformPosition(FVector(Local.x, Local.y, Local.z));
}

FVector2D UTowerFloorComponent::WorldToTile(FVector Location) const
{
	const FVector Local = GetComponentTransform().InverseTransformPosition(Location);
	const tower::TilePoint Tile =
		tower::make_tile_space(UTowerSettings::Get()->TileSizeCm).to_tiles(tower::LocalPoint{Local.X, Local.Y, Local.Z});
	return FVector2D(Tile.x, Tile.y);
}

void UTowerFloorComponent::OnComponentDestroyed(bool bDestroyingHierarchy)
{
	// When the whole actor goes, its components go with it; otherwise remove ours.
	if (!bDestroyingHierarchy)
	{
		DestroyGenerated();
	}
	Super::OnComponentDestroyed(bDestroyingHierarchy);
}
