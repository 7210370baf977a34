#include "TowerEntityComponent.h"

#include "Engine/GameInstance.h"
#include "Engine/World.h"
#include "GameFramework/Actor.h"
#include "TowerClientSubsystem.h"

UTowerEntityComponent::UTowerEntityComponent()
{
	PrimaryComponentTick.bCanEverTick = true;
	// After the subsystem has drained events and sampled entities for this frame.
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
	if (Owner == nullptr || Tower == nullptr)
	{
		return;
	}

	const FVector Up(0.0, 0.0, HeightOffsetCm);
	if (bIsLocalPlayer)
	{
		FVector Predicted;
		bVisible = Tower->GetPredictedLocation(Predicted);
		if (bVisible)
		{
			Owner->SetActorLocation(Predicted + Up);
		}
	}
	else
	{
		FTowerEntity Entity;
		bVisible = Tower->FindEntity(EntityId, Entity);
		if (bVisible)
		{
			Owner->SetActorLocationAndRotation(Entity.Location + Up, FRotator(0.0, Entity.YawDegrees, 0.0));
		}
	}
	Owner->SetActorHiddenInGame(!bVisible);
}
