#include "TowerFloorComponent.h"

#include "Components/InstancedStaticMeshComponent.h"
#include "Engine/StaticMesh.h"
#include "Materials/MaterialInterface.h"
#include "ProceduralMeshComponent.h"
#include "TowerCore/FloorMesh.h"
#include "TowerCore/TowerFfi.h"
#include "TowerGameModule.h"

namespace
{
	FVector ToFVector(const tower::Vec3& V)
	{
		return FVector(V.x, V.y, V.z);
	}

	FString ToFString(const std::string& S)
	{
		return FString(UTF8_TO_TCHAR(S.c_str()));
	}

	tower::FloorMeshOptions TowerFloorMeshOptions(const UTowerFloorComponent& Component)
	{
		tower::FloorMeshOptions Options;
		Options.tile_size_cm = Component.TileSizeCm;
		Options.wall_height_cm = Component.WallHeightCm;
		Options.source_mesh_size_cm = Component.SourceMeshSizeCm;
		Options.source_mesh_height_cm = Component.SourceMeshHeightCm;
		return Options;
	}
}

UTowerFloorComponent::UTowerFloorComponent()
{
	PrimaryComponentTick.bCanEverTick = false;
}

bool UTowerFloorComponent::BuildFloor(int64 Seed, int32 Floor, FString& OutError)
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
	// Blueprints have no unsigned 64-bit integer: the seed's bits travel in an int64.
	tower::Result<tower::Floor> Generated =
		tower::Floor::generate(static_cast<uint64>(Seed), static_cast<uint32>(Floor));
	if (!Generated.ok())
	{
		OutError = ToFString(Generated.error().message);
		return false;
	}
	return BuildFromFloor(Generated.value(), OutError);
}

bool UTowerFloorComponent::BuildFromFloor(const tower::Floor& Floor, FString& OutError)
{
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
	const tower::Result<tower::TileGrid> Grid = Floor.grid();
	const tower::Result<tower::FloorHash> Hash = Floor.hash();
	if (!Info.ok() || !Grid.ok() || !Hash.ok())
	{
		OutError = ToFString(!Info.ok() ? Info.error().message : !Grid.ok() ? Grid.error().message : Hash.error().message);
		return false;
	}

	ClearFloor();
	FloorWidth = Info.value().width;
	FloorHeight = Info.value().height;
	FloorHash = ToFString(tower::to_hex(Hash.value()));
	EntryLocation = TileToWorld(FVector2D(Info.value().entry_x + 0.5, Info.value().entry_y + 0.5));
	StairsUpLocation = TileToWorld(FVector2D(Info.value().stairs_up_x + 0.5, Info.value().stairs_up_y + 0.5));

	if (RenderMode == ETowerFloorRenderMode::InstancedMeshes)
	{
		BuildInstanced(Grid.value());
	}
	else
	{
		BuildProcedural(Grid.value());
	}
	UE_LOG(LogTower, Log, TEXT("Tower: built floor %u of seed %llu (%dx%d, hash %s)"),
		Info.value().floor, static_cast<unsigned long long>(Info.value().seed), FloorWidth, FloorHeight, *FloorHash);
	OnFloorBuilt.Broadcast(static_cast<int64>(Info.value().seed), static_cast<int32>(Info.value().floor));
	return true;
}

void UTowerFloorComponent::BuildInstanced(const tower::TileGrid& Grid)
{
	const tower::FloorInstances Instances = tower::build_instances(Grid, TowerFloorMeshOptions(*this));
	for (int32 Kind = 0; Kind < static_cast<int32>(tower::kTileKinds); ++Kind)
	{
		const ETowerTile Tile = static_cast<ETowerTile>(Kind);
		const TObjectPtr<UStaticMesh>* Mesh = TileMeshes.Find(Tile);
		const std::vector<tower::InstanceTransform>& Source = Instances.by_kind[static_cast<size_t>(Kind)];
		if (Mesh == nullptr || *Mesh == nullptr || Source.empty())
		{
			continue;
		}
		UInstancedStaticMeshComponent* Ism = NewObject<UInstancedStaticMeshComponent>(
			GetOwner(), MakeUniqueObjectName(GetOwner(), UInstancedStaticMeshComponent::StaticClass(),
				*FString::Printf(TEXT("TowerTiles_%s"), *StaticEnum<ETowerTile>()->GetNameStringByValue(Kind))));
		Ism->SetupAttachment(this);
		Ism->SetStaticMesh(*Mesh);
		if (const TObjectPtr<UMaterialInterface>* Material = TileMaterials.Find(Tile))
		{
			Ism->SetMaterial(0, *Material);
		}
		Ism->SetCollisionEnabled(bCreateCollision ? ECollisionEnabled::QueryAndPhysics : ECollisionEnabled::NoCollision);
		Ism->RegisterComponent();

		TArray<FTransform> Transforms;
		Transforms.Reserve(static_cast<int32>(Source.size()));
		for (const tower::InstanceTransform& T : Source)
		{
			Transforms.Emplace(FRotator(0.0, T.yaw_degrees, 0.0), ToFVector(T.location), ToFVector(T.scale));
		}
		Ism->AddInstances(Transforms, /*bShouldReturnIndices=*/false, /*bWorldSpace=*/false);
		InstanceComponents.Add(Ism);
	}
}

void UTowerFloorComponent::BuildProcedural(const tower::TileGrid& Grid)
{
	const tower::FloorMesh Mesh = tower::build_mesh(Grid, TowerFloorMeshOptions(*this));
	ProceduralMesh = NewObject<UProceduralMeshComponent>(
		GetOwner(), MakeUniqueObjectName(GetOwner(), UProceduralMeshComponent::StaticClass(), TEXT("TowerFloorMesh")));
	ProceduralMesh->SetupAttachment(this);
	ProceduralMesh->RegisterComponent();

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
		ProceduralMesh->CreateMeshSection_LinearColor(Kind, Vertices, Triangles, Normals, Uvs,
			TArray<FLinearColor>(), TArray<FProcMeshTangent>(), bCreateCollision, /*bSRGBConversion=*/false);
		if (const TObjectPtr<UMaterialInterface>* Material = TileMaterials.Find(static_cast<ETowerTile>(Kind)))
		{
			ProceduralMesh->SetMaterial(Kind, *Material);
		}
	}
}

void UTowerFloorComponent::ClearFloor()
{
	for (UInstancedStaticMeshComponent* Ism : InstanceComponents)
	{
		if (Ism != nullptr)
		{
			Ism->DestroyComponent();
		}
	}
	InstanceComponents.Reset();
	if (ProceduralMesh != nullptr)
	{
		ProceduralMesh->DestroyComponent();
		ProceduralMesh = nullptr;
	}
	FloorWidth = 0;
	FloorHeight = 0;
	FloorHash.Reset();
}

FVector UTowerFloorComponent::TileToWorld(FVector2D Tile) const
{
	tower::FloorMeshOptions Options;
	Options.tile_size_cm = TileSizeCm;
	const tower::Vec3 Local = tower::tile_to_world(static_cast<float>(Tile.X), static_cast<float>(Tile.Y), Options);
	return GetComponentTransform().TransformPosition(ToFVector(Local));
}

void UTowerFloorComponent::OnComponentDestroyed(bool bDestroyingHierarchy)
{
	// When the whole actor goes, its components go with it; otherwise remove ours.
	if (!bDestroyingHierarchy)
	{
		ClearFloor();
	}
	Super::OnComponentDestroyed(bDestroyingHierarchy);
}
