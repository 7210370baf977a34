#include "TowerDemo.h"

#include "Camera/CameraComponent.h"
#include "Components/StaticMeshComponent.h"
#include "Engine/LocalPlayer.h"
#include "Engine/StaticMesh.h"
#include "Engine/World.h"
#include "EnhancedInputComponent.h"
#include "EnhancedInputSubsystems.h"
#include "EngineUtils.h"
#include "GameFramework/PlayerController.h"
#include "GameFramework/SpringArmComponent.h"
#include "InputAction.h"
#include "InputActionValue.h"
#include "InputCoreTypes.h"
#include "InputMappingContext.h"
#include "InputModifiers.h"
#include "TowerClientSubsystem.h"
#include "TowerEntityComponent.h"
#include "TowerFloorActor.h"
#include "TowerGameModule.h"
#include "TowerWorldContext.h"
#include "UObject/ConstructorHelpers.h"

namespace
{
	UTowerClientSubsystem* DemoTowerOf(const UObject& Object)
	{
		return TowerClientOf(&Object);
	}

	// One key of the Move action: Axis2D from a key is (1, 0); swizzle makes it (0, 1),
	// negate flips it.
	void MapMoveKey(UInputMappingContext& Mapping, const UInputAction* Move, const FKey& Key, bool bSideways, bool bNegate)
	{
		FEnhancedActionKeyMapping& Mapped = Mapping.MapKey(Move, Key);
		if (bSideways)
		{
			Mapped.Modifiers.Add(NewObject<UInputModifierSwizzleAxis>(&Mapping));
		}
		if (bNegate)
		{
			Mapped.Modifiers.Add(NewObject<UInputModifierNegate>(&Mapping));
		}
	}

	// Basic shapes are 100 cm with the pivot in the middle: lift by half the scaled height.
	constexpr float DemoBodyScaleXY = 0.8f;
	constexpr float DemoBodyScaleZ = 1.8f;
}

// --- Pawn ---

ATowerDemoPawn::ATowerDemoPawn()
{
	PrimaryActorTick.bCanEverTick = true;
	static ConstructorHelpers::FObjectFinder<UStaticMesh> Cylinder(TEXT("/Engine/BasicShapes/Cylinder.Cylinder"));

	Body = CreateDefaultSubobject<UStaticMeshComponent>(TEXT("Body"));
	RootComponent = Body;
	Body->SetStaticMesh(Cylinder.Object);
	Body->SetRelativeScale3D(FVector(DemoBodyScaleXY, DemoBodyScaleXY, DemoBodyScaleZ));
	Body->SetCollisionEnabled(ECollisionEnabled::NoCollision); // the server decides collisions

	CameraArm = CreateDefaultSubobject<USpringArmComponent>(TEXT("CameraArm"));
	CameraArm->SetupAttachment(Body);
	CameraArm->SetUsingAbsoluteRotation(true);
	CameraArm->SetUsingAbsoluteScale(true);
	CameraArm->SetRelativeRotation(FRotator(-60.0, 0.0, 0.0));
	CameraArm->TargetArmLength = 2400.0f;
	CameraArm->bDoCollisionTest = false;

	Camera = CreateDefaultSubobject<UCameraComponent>(TEXT("Camera"));
	Camera->SetupAttachment(CameraArm);

	Entity = CreateDefaultSubobject<UTowerEntityComponent>(TEXT("TowerEntity"));
	Entity->bIsLocalPlayer = true;
	Entity->HeightOffsetCm = 50.0f * DemoBodyScaleZ;
}

void ATowerDemoPawn::MakeInputObjects()
{
	if (InputMapping != nullptr)
	{
		return;
	}
	// Input made in code, so the demo needs no assets. The camera looks along +X, so W is
	// +X and D is +Y (Unreal is left-handed).
	MoveAction = NewObject<UInputAction>(this, TEXT("TowerDemoMove"));
	MoveAction->ValueType = EInputActionValueType::Axis2D;
	AttackAction = NewObject<UInputAction>(this, TEXT("TowerDemoAttack"));
	AttackAction->ValueType = EInputActionValueType::Boolean;
	InputMapping = NewObject<UInputMappingContext>(this, TEXT("TowerDemoMapping"));
	MapMoveKey(*InputMapping, MoveAction, EKeys::W, /*bSideways=*/false, /*bNegate=*/false);
	MapMoveKey(*InputMapping, MoveAction, EKeys::S, false, true);
	MapMoveKey(*InputMapping, MoveAction, EKeys::D, true, false);
	MapMoveKey(*InputMapping, MoveAction, EKeys::A, true, true);
	// The stick's Y axis is "up"; the left stick's X is sideways.
	MapMoveKey(*InputMapping, MoveAction, EKeys::Gamepad_LeftY, false, false);
	MapMoveKey(*InputMapping, MoveAction, EKeys::Gamepad_LeftX, true, false);
	InputMapping->MapKey(AttackAction, EKeys::SpaceBar);
	InputMapping->MapKey(AttackAction, EKeys::Gamepad_FaceButton_Bottom);
}

UInputComponent* ATowerDemoPawn::CreatePlayerInputComponent()
{
	return NewObject<UEnhancedInputComponent>(this, UEnhancedInputComponent::StaticClass(), TEXT("TowerDemoInput"));
}

void ATowerDemoPawn::SetupPlayerInputComponent(UInputComponent* PlayerInputComponent)
{
	Super::SetupPlayerInputComponent(PlayerInputComponent);
	MakeInputObjects();
	UEnhancedInputComponent* Input = Cast<UEnhancedInputComponent>(PlayerInputComponent);
	if (Input == nullptr)
	{
		UE_LOG(LogTowerNet, Warning, TEXT("Tower demo: the pawn's input component is not an Enhanced Input component; no controls"));
		return;
	}
	Input->BindAction(MoveAction, ETriggerEvent::Triggered, this, &ATowerDemoPawn::HandleMove);
	Input->BindAction(MoveAction, ETriggerEvent::Completed, this, &ATowerDemoPawn::HandleMoveReleased);
	Input->BindAction(AttackAction, ETriggerEvent::Started, this, &ATowerDemoPawn::HandleAttackPressed);
	Input->BindAction(AttackAction, ETriggerEvent::Completed, this, &ATowerDemoPawn::HandleAttackReleased);
}

void ATowerDemoPawn::PawnClientRestart()
{
	Super::PawnClientRestart();
	MakeInputObjects();
	const APlayerController* PlayerController = Cast<APlayerController>(GetController());
	const ULocalPlayer* LocalPlayer = PlayerController != nullptr ? PlayerController->GetLocalPlayer() : nullptr;
	if (UEnhancedInputLocalPlayerSubsystem* Subsystem = ULocalPlayer::GetSubsystem<UEnhancedInputLocalPlayerSubsystem>(LocalPlayer))
	{
		Subsystem->AddMappingContext(InputMapping, /*Priority=*/0);
	}
}

void ATowerDemoPawn::HandleMove(const FInputActionValue& Value)
{
	MoveInput = Value.Get<FVector2D>().ClampAxes(-1.0, 1.0);
}

void ATowerDemoPawn::HandleMoveReleased()
{
	MoveInput = FVector2D::ZeroVector;
}

void ATowerDemoPawn::HandleAttackPressed()
{
	bAttackHeld = true;
}

void ATowerDemoPawn::HandleAttackReleased()
{
	bAttackHeld = false;
}

void ATowerDemoPawn::Tick(float DeltaSeconds)
{
	Super::Tick(DeltaSeconds);
	UTowerClientSubsystem* Tower = DemoTowerOf(*this);
	if (Tower == nullptr || !IsLocallyControlled() || !Tower->IsOnFloor())
	{
		return;
	}
	Tower->SendInput(MoveInput, bAttackHeld);
}

// --- Remote entity ---

ATowerDemoEntity::ATowerDemoEntity()
{
	PrimaryActorTick.bCanEverTick = false;
	static ConstructorHelpers::FObjectFinder<UStaticMesh> Cylinder(TEXT("/Engine/BasicShapes/Cylinder.Cylinder"));
	static ConstructorHelpers::FObjectFinder<UStaticMesh> Cube(TEXT("/Engine/BasicShapes/Cube.Cube"));
	PlayerMesh = Cylinder.Object;
	MonsterMesh = Cube.Object;

	Body = CreateDefaultSubobject<UStaticMeshComponent>(TEXT("Body"));
	RootComponent = Body;
	Body->SetStaticMesh(PlayerMesh);
	Body->SetRelativeScale3D(FVector(DemoBodyScaleXY, DemoBodyScaleXY, DemoBodyScaleZ));
	Body->SetCollisionEnabled(ECollisionEnabled::NoCollision);

	Entity = CreateDefaultSubobject<UTowerEntityComponent>(TEXT("TowerEntity"));
	Entity->HeightOffsetCm = 50.0f * DemoBodyScaleZ;
}

void ATowerDemoEntity::Setup(const FTowerEntity& Source)
{
	Entity->EntityId = Source.Id;
	const bool bMonster = Source.Kind == ETowerEntityKind::Monster;
	Body->SetStaticMesh(bMonster ? MonsterMesh : PlayerMesh);
	const float ScaleZ = bMonster ? 1.0f : DemoBodyScaleZ;
	Body->SetRelativeScale3D(FVector(DemoBodyScaleXY, DemoBodyScaleXY, ScaleZ));
	Entity->HeightOffsetCm = 50.0f * ScaleZ;
	SetActorLocation(Source.Location + FVector(0.0, 0.0, Entity->HeightOffsetCm));
}

// --- Spawner ---

ATowerEntitySpawner::ATowerEntitySpawner()
{
	PrimaryActorTick.bCanEverTick = false;
	EntityClass = ATowerDemoEntity::StaticClass();
}

void ATowerEntitySpawner::BeginPlay()
{
	Super::BeginPlay();
	if (UTowerClientSubsystem* Tower = DemoTowerOf(*this))
	{
		Tower->OnEntityAppeared.AddDynamic(this, &ATowerEntitySpawner::HandleAppeared);
		Tower->OnEntityRemoved.AddDynamic(this, &ATowerEntitySpawner::HandleRemoved);
	}
}

void ATowerEntitySpawner::EndPlay(const EEndPlayReason::Type EndPlayReason)
{
	if (UTowerClientSubsystem* Tower = DemoTowerOf(*this))
	{
		Tower->OnEntityAppeared.RemoveDynamic(this, &ATowerEntitySpawner::HandleAppeared);
		Tower->OnEntityRemoved.RemoveDynamic(this, &ATowerEntitySpawner::HandleRemoved);
	}
	for (const TPair<int32, TObjectPtr<ATowerDemoEntity>>& Pair : Spawned)
	{
		if (IsValid(Pair.Value))
		{
			Pair.Value->Destroy();
		}
	}
	Spawned.Reset();
	Super::EndPlay(EndPlayReason);
}

void ATowerEntitySpawner::HandleAppeared(const FTowerEntity& Source)
{
	if (Spawned.Contains(Source.Id) || Spawned.Num() >= MaxEntities || EntityClass == nullptr)
	{
		return;
	}
	FActorSpawnParameters Params;
	Params.SpawnCollisionHandlingOverride = ESpawnActorCollisionHandlingMethod::AlwaysSpawn;
	ATowerDemoEntity* Actor = GetWorld()->SpawnActor<ATowerDemoEntity>(EntityClass, Source.Location, FRotator::ZeroRotator, Params);
	if (Actor != nullptr)
	{
		Actor->Setup(Source);
		Spawned.Add(Source.Id, Actor);
	}
}

void ATowerEntitySpawner::HandleRemoved(const FTowerEntity& Source)
{
	TObjectPtr<ATowerDemoEntity> Actor;
	if (Spawned.RemoveAndCopyValue(Source.Id, Actor) && IsValid(Actor))
	{
		Actor->Destroy();
	}
}

// --- Game mode ---

ATowerDemoGameMode::ATowerDemoGameMode()
{
	DefaultPawnClass = ATowerDemoPawn::StaticClass();
}

void ATowerDemoGameMode::StartPlay()
{
	if (GetNetMode() != NM_Standalone)
	{
		// Tower is its own netcode (the Tower server is authoritative); the demo's actors are
		// not replicated by Unreal, and a game mode runs on the Unreal server only, so Unreal
		// clients of a listen server would see no floor and never connect to Tower.
		UE_LOG(LogTowerNet, Warning, TEXT("Tower demo: this world runs with Unreal Net Mode %d, not Standalone; the demo ")
			TEXT("needs Play > Net Mode: Play Standalone (each PIE client then connects to the Tower server itself)"),
			static_cast<int32>(GetNetMode()));
	}
	UWorld* World = GetWorld();
	FActorSpawnParameters Params;
	Params.SpawnCollisionHandlingOverride = ESpawnActorCollisionHandlingMethod::AlwaysSpawn;
	if (!TActorIterator<ATowerFloorActor>(World))
	{
		World->SpawnActor<ATowerFloorActor>(FVector::ZeroVector, FRotator::ZeroRotator, Params);
	}
	if (!TActorIterator<ATowerEntitySpawner>(World))
	{
		World->SpawnActor<ATowerEntitySpawner>(FVector::ZeroVector, FRotator::ZeroRotator, Params);
	}
	Super::StartPlay();

	UTowerClientSubsystem* Tower = DemoTowerOf(*this);
	if (bAutoConnect && Tower != nullptr && !Tower->IsConnected())
	{
		if (!Tower->ConnectDevFromSettings())
		{
			UE_LOG(LogTowerNet, Warning, TEXT("Tower demo: not connected; set the server and fingerprint in Project Settings > Tower"));
		}
	}
}
