#include "TowerFloorActor.h"

#include "Engine/World.h"
#include "ProfilingDebugging/CpuProfilerTrace.h"
#include "TowerClientSubsystem.h"
#include "TowerCoreIncludes.h"
#include "TowerFloorComponent.h"
#include "TowerGameModule.h"
#include "TowerSettings.h"
#include "TowerWorldContext.h"

namespace
{
	UTowerClientSubsystem* FloorActorTowerOf(const AActor& Actor)
	{
		return TowerClientOf(&Actor);
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
	TRACE_CPUPROFILER_EVENT_SCOPE(ATowerFloorActor::Regenerate);
	FTSTicker::GetCoreTicker().RemoveTicker(PreviewTicker);
	PreviewTicker.Reset();
	bPreviewStale = false;
	// Say a failure once, not on every retry.
	const FString Previous = LastError;
	LastError.Reset();
	if (!Floor->BuildFloor(PreviewFloorSeed(), FloorNumber, LastError) && LastError != Previous)
	{
		UE_LOG(LogTowerFloor, Warning, TEXT("Tower floor %s: %s"), *GetName(), *LastError);
	}
}

bool ATowerFloorActor::IsPreviewWorld() const
{
	// Editor worlds only: in play, BeginPlay decides.
	const UWorld* World = GetWorld();
	return World != nullptr && !World->IsGameWorld() && !IsTemplate();
}

bool ATowerFloorActor::PreviewIsCurrent() const
{
	return !bPreviewStale && !Floor->FloorHash.IsEmpty() && Floor->BuiltSeed == PreviewFloorSeed() &&
		Floor->BuiltFloor == FloorNumber;
}

int64 ATowerFloorActor::PreviewFloorSeed() const
{
	if (!bSeedIsWorldSeed || FloorNumber < 0)
	{
		return Seed;
	}
	return static_cast<int64>(tower::floor_seed(static_cast<uint64>(Seed), static_cast<uint32>(FloorNumber)));
}

void ATowerFloorActor::OnConstruction(const FTransform& Transform)
{
	Super::OnConstruction(Transform);
	// The editor reruns construction on every frame of a drag (of the actor, or of a
	// Details slider). Moving needs no rebuild: the generated meshes are attached to the
	// floor component. A new (Seed, FloorNumber) is built once the edits have settled.
	if (bPreviewInEditor && IsPreviewWorld() && !PreviewIsCurrent())
	{
		SchedulePreview();
	}
}

void ATowerFloorActor::SchedulePreview()
{
	// Re-armed by every change: the build runs PreviewSettleSeconds after the last one.
	FTSTicker::GetCoreTicker().RemoveTicker(PreviewTicker);
	PreviewTicker = FTSTicker::GetCoreTicker().AddTicker(
		FTickerDelegate::CreateUObject(this, &ATowerFloorActor::RunScheduledPreview), PreviewSettleSeconds);
}

bool ATowerFloorActor::RunScheduledPreview(float /*DeltaTime*/)
{
	PreviewTicker.Reset();
	if (bPreviewInEditor && IsPreviewWorld())
	{
		Regenerate();
	}
	return false; // once
}

void ATowerFloorActor::PostRegisterAllComponents()
{
	Super::PostRegisterAllComponents();
#if WITH_EDITOR
	// Placed floors follow Project Settings > Tower (tile size, render mode, meshes...).
	if (IsPreviewWorld() && !SettingsChangedHandle.IsValid())
	{
		SettingsChangedHandle = GetMutableDefault<UTowerSettings>()->OnSettingChanged().AddUObject(
			this, &ATowerFloorActor::HandleSettingsChanged);
	}
#endif
}

#if WITH_EDITOR
void ATowerFloorActor::HandleSettingsChanged(UObject* /*Settings*/, FPropertyChangedEvent& /*Event*/)
{
	bPreviewStale = true;
	if (bPreviewInEditor && IsPreviewWorld())
	{
		SchedulePreview();
	}
}
#endif

void ATowerFloorActor::BeginDestroy()
{
	FTSTicker::GetCoreTicker().RemoveTicker(PreviewTicker);
	PreviewTicker.Reset();
#if WITH_EDITOR
	if (SettingsChangedHandle.IsValid())
	{
		GetMutableDefault<UTowerSettings>()->OnSettingChanged().Remove(SettingsChangedHandle);
		SettingsChangedHandle.Reset();
	}
#endif
	Super::BeginDestroy();
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
	// The server sends the floor's own seed.
	Seed = ServerSeed;
	bSeedIsWorldSeed = false;
	FloorNumber = ServerFloor;
	LastError.Reset();
	if (!Floor->BuildFromClient(LastError))
	{
		UE_LOG(LogTowerFloor, Warning, TEXT("Tower floor %s: %s"), *GetName(), *LastError);
	}
}
