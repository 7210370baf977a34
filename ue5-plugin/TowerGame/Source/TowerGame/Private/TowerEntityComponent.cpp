#include "TowerEntityComponent.h"

#include "Engine/GameInstance.h"
#include "Engine/World.h"
#include "GameFramework/Actor.h"
#include "TowerClientSubsystem.h"

UTowerEntityComponent::UTowerEntityComponent()
{
	PrimaryComponentTick.bCanEverTick = true;
	// The subsystem samples on the core ticker, before the world ticks: this reads the
	// current frame's sample, whatever the tick group.
	PrimaryComponentTick.TickGroup = TG_PostPhysics;
}

void UTowerEntityComponent::TickComponent(float DeltaTime, ELevelTick TickType, FActorComponentTickFunction* ThisTickFunction)
{
	Super::TickComponent(DeltaTime, TickType, ThisTickFunction);

	AActor* Owner = GetOwner();
	const UWorld* World = GetWorld();
	const UGameInstance* GameInstance = World != nullptr ? World->GetGameInstance() : nullptr;
	const UTowerClientSubsystem* Tower =
		GameInstance != nullptr ? GameInstance->GetSubsystem<UTowerClientSubsystem>() : nullptr;
	if (Owner == nullptr)
	{
		return;
	}
	if (Tower == nullptr || !Tower->IsOnFloor())
	{
		// Not playing on a floor: leave the actor alone, but undo our own hiding.
		bInView = false;
		SetHiddenByUs(*Owner, false);
		return;
	}

	FVector Target;
	if (bIsLocalPlayer)
	{
		bInView = Tower->GetPredictedLocation(Target);
	}
	else
	{
		FTowerEntity Entity;
		bInView = Tower->FindEntity(EntityId, Entity);
		Target = Entity.Location;
	}
	if (bInView)
	{
		Target.Z += HeightOffsetCm;
		const FVector Step = Target - Owner->GetActorLocation();
		// The protocol has no facing: turn toward the motion when there is some.
		if (Step.SizeSquared2D() > FMath::Square(1.0))
		{
			Owner->SetActorLocationAndRotation(Target, FRotator(0.0, Step.Rotation().Yaw, 0.0));
		}
		else
		{
			Owner->SetActorLocation(Target);
		}
	}
	SetHiddenByUs(*Owner, !bIsLocalPlayer && bHideWhenOutOfView && !bInView);
}

void UTowerEntityComponent::SetHiddenByUs(AActor& Owner, bool bHide)
{
	if (bHide == bHiddenByUs)
	{
		return;
	}
	bHiddenByUs = bHide;
	Owner.SetActorHiddenInGame(bHide);
}
