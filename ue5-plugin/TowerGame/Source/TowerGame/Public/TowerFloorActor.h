// A floor you can place in a level: it previews (Seed, Floor) in the editor, rebuilt from
// its construction script and by the "Regenerate" button, so a level designer sees floors
// without a server. In play it builds the same floor on BeginPlay, or follows the floors
// the server sends (bFollowServer).
#pragma once

#include "CoreMinimal.h"
#include "GameFramework/Actor.h"
#include "TowerFloorActor.generated.h"

class UTowerFloorComponent;

UCLASS(ClassGroup = (Tower), meta = (DisplayName = "Tower Floor"))
class TOWERGAME_API ATowerFloorActor : public AActor
{
	GENERATED_BODY()

public:
	ATowerFloorActor();

	UPROPERTY(VisibleAnywhere, BlueprintReadOnly, Category = "Tower")
	TObjectPtr<UTowerFloorComponent> Floor;

	// Tower seed; Blueprints carry the unsigned 64-bit seed's bits in an int64.
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tower")
	int64 Seed = 1;

	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tower", meta = (ClampMin = "0"))
	int32 FloorNumber = 1;

	// Rebuild in the editor whenever the actor is constructed or a property changes.
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tower")
	bool bPreviewInEditor = true;

	// In play: build the floor the server sends (UTowerClientSubsystem::OnFloorReady)
	// instead of (Seed, FloorNumber).
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tower")
	bool bFollowServer = true;

	// What went wrong in the last build, or empty.
	UPROPERTY(VisibleInstanceOnly, Transient, BlueprintReadOnly, Category = "Tower")
	FString LastError;

	// Rebuilds (Seed, FloorNumber) now; a button in the Details panel.
	UFUNCTION(CallInEditor, BlueprintCallable, Category = "Tower")
	void Regenerate();

	virtual void OnConstruction(const FTransform& Transform) override;

protected:
	virtual void BeginPlay() override;
	virtual void EndPlay(const EEndPlayReason::Type EndPlayReason) override;

private:
	UFUNCTION()
	void HandleFloorReady(int64 ServerSeed, int32 ServerFloor);
};
