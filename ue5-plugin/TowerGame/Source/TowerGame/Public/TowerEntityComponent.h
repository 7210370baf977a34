// Moves its actor to where the Tower client says entity `EntityId` is: the interpolated
// server state for remote entities, the predicted position for the local player. It only
// touches its actor while the client is on a floor: before connecting (or after leaving)
// the actor stays where and as it is, so a local pawn with this component is never hidden.
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

	// Follow the locally predicted position instead of the interpolated one. The local
	// player's actor is never hidden by this component.
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tower|Entity")
	bool bIsLocalPlayer = false;

	// Hide a remote entity's actor while the entity is out of view (on a floor only).
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tower|Entity")
	bool bHideWhenOutOfView = true;

	// Added to the floor-level location (e.g. half the capsule height).
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tower|Entity")
	float HeightOffsetCm = 90.0f;

	// Whether the entity was in the last sample.
	UPROPERTY(VisibleInstanceOnly, Transient, BlueprintReadOnly, Category = "Tower|Entity")
	bool bInView = false;

	virtual void TickComponent(float DeltaTime, ELevelTick TickType, FActorComponentTickFunction* ThisTickFunction) override;

private:
	// Whether this component hid its actor (so it only ever unhides what it hid).
	bool bHiddenByUs = false;

	void SetHiddenByUs(AActor& Owner, bool bHide);
};
