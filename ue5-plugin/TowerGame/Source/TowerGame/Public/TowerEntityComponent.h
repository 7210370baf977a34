// Moves its actor to where the Tower client says entity `EntityId` is: the interpolated
// server state for remote entities, the predicted position for the local player.
#pragma once

#include "Components/ActorComponent.h"
#include "CoreMinimal.h"
#include "TowerEntityComponent.generated.h"

UCLASS(ClassGroup = (Tower), meta = (BlueprintSpawnableComponent))
class TOWERGAME_API UTowerEntityComponent : public UActorComponent
{
	GENERATED_BODY()

public:
	UTowerEntityComponent();

	// The entity id from snapshots (players: the id in OnConnected).
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tower|Entity")
	int32 EntityId = 0;

	// Follow the locally predicted position instead of the interpolated one.
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tower|Entity")
	bool bIsLocalPlayer = false;

	// Added to the floor-level location (e.g. half the capsule height).
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tower|Entity")
	float HeightOffsetCm = 90.0f;

	// Whether the entity was in the last sample (hidden while it is not).
	UPROPERTY(VisibleInstanceOnly, BlueprintReadOnly, Category = "Tower|Entity")
	bool bVisible = false;

	virtual void TickComponent(float DeltaTime, ELevelTick TickType, FActorComponentTickFunction* ThisTickFunction) override;
};
