#include "TowerFloorActor.h"

#include "Engine/GameInstance.h"
#include "Engine/World.h"
#include "TowerClientSubsystem.h"
#include "TowerFloorComponent.h"
#include "TowerGameModule.h"

namespace
{
	UTowerClientSubsystem* FloorActorTowerOf(const AActor& Actor)
	{
		const UWorld* World = Actor.GetWorld();
		UGameInstance* GameInstance = World != nullptr ? World->GetGameInstance() : nullptr;
		return GameInstance != nullptr ? GameInstance->GetSubsystem<UTowerClientSubsystem>() : nullptr;
	}
}

ATowerFloorActor::ATowerFloorActor()
{
	PrimaryActorTick.bCanEverTick = false;
	Floor = CreateDefaultSubobject<UTowerFloorComponent>(TEXT("Floor"));
	RootComponent = Floor;
}

void ATowerFloorActor::Regenerate()
{
	// The editor reruns construction on every drag: say a failure once, not every frame.
	const FString Previous = LastError;
	LastError.Reset();
	if (!Floor->BuildFloor(Seed, FloorNumber, LastError) && LastError != Previous)
	{
		UE_LOG(LogTowerFloor, Warning, TEXT("Tower floor %s: %s"), *GetName(), *LastError);
	}
}

void ATowerFloorActor::OnConstruction(const FTransform& Transform)
{
	Super::OnConstruction(Transform);
	const UWorld* World = GetWorld();
	// Editor worlds only: in play, BeginPlay decides. The floor component removes what an
	// earlier construction made before building, so reruns never pile components up.
	if (bPreviewInEditor && World != nullptr && !World->IsGameWorld() && !IsTemplate())
	{
		Regenerate();
	}
}

void ATowerFloorActor::BeginPlay()
{
	Super::BeginPlay();
	UTowerClientSubsystem* Tower = FloorActorTowerOf(*this);
	if (bFollowServer && Tower != nullptr)
	{
		Tower->OnFloorReady.AddDynamic(this, &ATowerFloorActor::HandleFloorReady);
		Tower->SetActiveFloor(Floor);
		if (Tower->GetCurrentFloor() != nullptr)
		{
			LastError.Reset();
			Floor->BuildFromClient(LastError);
			return;
		}
	}
	// Until the server says otherwise (or without a server), show (Seed, FloorNumber).
	Regenerate();
}

void ATowerFloorActor::EndPlay(const EEndPlayReason::Type EndPlayReason)
{
	if (UTowerClientSubsystem* Tower = FloorActorTowerOf(*this))
	{
		Tower->OnFloorReady.RemoveDynamic(this, &ATowerFloorActor::HandleFloorReady);
	}
	Super::EndPlay(EndPlayReason);
}

void ATowerFloorActor::HandleFloorReady(int64 ServerSeed, int32 ServerFloor)
{
	Seed = ServerSeed;
	FloorNumber = ServerFloor;
	LastError.Reset();
	if (!Floor->BuildFromClient(LastError))
	{
		UE_LOG(LogTowerFloor, Warning, TEXT("Tower floor %s: %s"), *GetName(), *LastError);
	}
}
