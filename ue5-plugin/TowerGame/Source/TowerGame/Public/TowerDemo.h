// A demo made only of engine basic shapes, so a fresh project shows a floor and moving
// players with no assets of ours: set the level's GameMode Override to TowerDemoGameMode,
// start `cargo run --release -p tower-server`, put its fingerprint in Project Settings >
// Tower (or Editor Preferences > Tower), press Play. WASD or the left stick moves, Space or
// the gamepad's bottom face button attacks, through Enhanced Input actions the pawn makes
// itself (no input assets needed in the project).
#pragma once

#include "CoreMinimal.h"
#include "GameFramework/Actor.h"
#include "GameFramework/GameModeBase.h"
#include "GameFramework/Pawn.h"
#include "TowerTypes.h"
#include "TowerDemo.generated.h"

class UCameraComponent;
class UInputAction;
class UInputMappingContext;
class USpringArmComponent;
struct FInputActionValue;
class UStaticMesh;
class UStaticMeshComponent;
class UTowerEntityComponent;

// The own player: a cylinder under a top-down camera, moved by the library's prediction.
UCLASS()
class TOWERGAME_API ATowerDemoPawn : public APawn
{
	GENERATED_BODY()

public:
	ATowerDemoPawn();

	virtual void Tick(float DeltaSeconds) override;
	virtual void PawnClientRestart() override;

	UPROPERTY(VisibleAnywhere, BlueprintReadOnly, Category = "Tower|Demo")
	TObjectPtr<UStaticMeshComponent> Body;

	UPROPERTY(VisibleAnywhere, BlueprintReadOnly, Category = "Tower|Demo")
	TObjectPtr<USpringArmComponent> CameraArm;

	UPROPERTY(VisibleAnywhere, BlueprintReadOnly, Category = "Tower|Demo")
	TObjectPtr<UCameraComponent> Camera;

	UPROPERTY(VisibleAnywhere, BlueprintReadOnly, Category = "Tower|Demo")
	TObjectPtr<UTowerEntityComponent> Entity;

	// Made at run time by the pawn (no assets): Move is Axis2D, X forward (W, S, left
	// stick up/down) and Y right (D, A, left stick sideways); Attack is a button.
	UPROPERTY(Transient, BlueprintReadOnly, Category = "Tower|Demo|Input")
	TObjectPtr<UInputAction> MoveAction;

	UPROPERTY(Transient, BlueprintReadOnly, Category = "Tower|Demo|Input")
	TObjectPtr<UInputAction> AttackAction;

	// Added to the local player's Enhanced Input subsystem when the pawn is possessed.
	UPROPERTY(Transient, BlueprintReadOnly, Category = "Tower|Demo|Input")
	TObjectPtr<UInputMappingContext> InputMapping;

protected:
	// Always an Enhanced Input component, whatever the project's default input class.
	virtual UInputComponent* CreatePlayerInputComponent() override;
	virtual void SetupPlayerInputComponent(UInputComponent* PlayerInputComponent) override;

private:
	// Makes the actions and the mapping context once (not in the constructor: objects made
	// with NewObject there would be default subobjects without stable names).
	void MakeInputObjects();
	void HandleMove(const FInputActionValue& Value);
	void HandleMoveReleased();
	void HandleAttackPressed();
	void HandleAttackReleased();

	FVector2D MoveInput = FVector2D::ZeroVector;
	bool bAttackHeld = false;
};

// Another player or a monster: a cylinder or a cube that follows its entity.
UCLASS()
class TOWERGAME_API ATowerDemoEntity : public AActor
{
	GENERATED_BODY()

public:
	ATowerDemoEntity();

	// Picks the shape for the kind and starts following EntityId.
	void Setup(const FTowerEntity& Source);

	UPROPERTY(VisibleAnywhere, BlueprintReadOnly, Category = "Tower|Demo")
	TObjectPtr<UStaticMeshComponent> Body;

	UPROPERTY(VisibleAnywhere, BlueprintReadOnly, Category = "Tower|Demo")
	TObjectPtr<UTowerEntityComponent> Entity;

	UPROPERTY()
	TObjectPtr<UStaticMesh> PlayerMesh;

	UPROPERTY()
	TObjectPtr<UStaticMesh> MonsterMesh;
};

// Spawns an ATowerDemoEntity per entity that appears, destroys it when it is removed.
UCLASS()
class TOWERGAME_API ATowerEntitySpawner : public AActor
{
	GENERATED_BODY()

public:
	ATowerEntitySpawner();

	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tower|Demo")
	TSubclassOf<ATowerDemoEntity> EntityClass;

	// Bounds the actors spawned, whatever the server sends.
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tower|Demo", meta = (ClampMin = "1"))
	int32 MaxEntities = 512;

protected:
	virtual void BeginPlay() override;
	virtual void EndPlay(const EEndPlayReason::Type EndPlayReason) override;

private:
	UFUNCTION()
	void HandleAppeared(const FTowerEntity& Source);

	UFUNCTION()
	void HandleRemoved(const FTowerEntity& Source);

	UPROPERTY(Transient)
	TMap<int32, TObjectPtr<ATowerDemoEntity>> Spawned;
};

// Default pawn ATowerDemoPawn; on StartPlay it places a floor actor and a spawner when the
// level has none, and connects with the development login of Project Settings.
UCLASS()
class TOWERGAME_API ATowerDemoGameMode : public AGameModeBase
{
	GENERATED_BODY()

public:
	ATowerDemoGameMode();

	virtual void StartPlay() override;

	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tower|Demo")
	bool bAutoConnect = true;
};
