// A floor you can place in a level: it previews floor FloorNumber of a world seed (or of a
// floor seed) in the editor, so a level designer sees floors without a server. The preview
// is rebuilt when Seed, FloorNumber, bSeedIsWorldSeed or Project Settings > Tower change,
// once the edit has settled (not on every frame of a drag: moving the actor moves the built
// floor with it), and at once by the "Regenerate" button. In play it builds the same floor
// on BeginPlay, or follows the floors the server sends (bFollowServer).
#pragma once

#include "Containers/Ticker.h"
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

	// The world seed of the tower (a server's `world_seed`), or with bSeedIsWorldSeed off
	// the floor seed itself (as `tower-floor --floor-seed`). Blueprints carry the unsigned
	// 64-bit seed's bits in an int64.
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tower")
	int64 Seed = 1;

	// On (the default): Seed is a world seed and the preview shows floor FloorNumber as
	// players of a server with that world seed get it. Off: Seed is that floor's own seed.
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tower")
	bool bSeedIsWorldSeed = true;

	// The floor seed the preview generates from (Seed itself, or derived from the world seed).
	UFUNCTION(BlueprintPure, Category = "Tower")
	int64 PreviewFloorSeed() const;

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

	// Seconds an editor change must settle before the preview is rebuilt.
	static constexpr float PreviewSettleSeconds = 0.25f;

	virtual void OnConstruction(const FTransform& Transform) override;
	virtual void PostRegisterAllComponents() override;
	virtual void BeginDestroy() override;

protected:
	virtual void BeginPlay() override;
	virtual void EndPlay(const EEndPlayReason::Type EndPlayReason) override;

private:
	UFUNCTION()
	void HandleFloorReady(int64 ServerSeed, int32 ServerFloor);

	bool IsPreviewWorld() const;
	bool PreviewIsCurrent() const;
	void SchedulePreview();
	bool RunScheduledPreview(float DeltaTime);
#if WITH_EDITOR
	void HandleSettingsChanged(UObject* Settings, FPropertyChangedEvent& Event);
	FDelegateHandle SettingsChangedHandle;
#endif

	FTSTicker::FDelegateHandle PreviewTicker;
	// Project Settings changed since the preview was built: rebuild even if (Seed,
	// FloorNumber) did not change.
	bool bPreviewStale = false;
};
