#include "TowerDemo.h"

#include "Camera/CameraComponent.h"
#include "Components/StaticMeshComponent.h"
#include "Engine/GameInstance.h"
#include "Engine/StaticMesh.h"
#include "Engine/World.h"
#include "EngineUtils.h"
#include "GameFramework/PlayerController.h"
#include "GameFramework/SpringArmComponent.h"
#include "InputCoreTypes.h"
#include "TowerClientSubsystem.h"
#include "TowerEntityComponent.h"
#include "TowerFloorActor.h"
#include "TowerGameModule.h"
#include "UObject/ConstructorHelpers.h"

namespace
{
	UTowerClientSubsystem* DemoTowerOf(const UObject& Object)
	{
		const UWorld* World = Object.GetWorld();
		UGameInstance* GameInstance = World != nullptr ? World->GetGameInstance() : nullptr;
		return GameInstance != nullptr ? GameInstance->GetSubsystem<UTowerClientSubsystem>() : nullptr;
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

void ATowerDemoPawn::Tick(float DeltaSeconds)
{
	Super::Tick(DeltaSeconds);
	UTowerClientSubsystem* Tower = DemoTowerOf(*this);
	const APlayerController* Controller = Cast<APlayerController>(GetController());
	if (Tower == nullptr || Controller == nullptr || !Tower->IsOnFloor())
	{
		return;
	}
	// Keys read directly: the demo needs no input mappings in the project. The camera
	// looks along +X, so W is +X and D is +Y (Unreal is left-handed).
	FVector2D Move = FVector2D::ZeroVector;
	Move.X += Controller->IsInputKeyDown(EKeys::W) ? 1.0 : 0.0;
	Move.X -= Controller->IsInputKeyDown(EKeys::S) ? 1.0 : 0.0;
	Move.Y += Controller->IsInputKeyDown(EKeys::D) ? 1.0 : 0.0;
	Move.Y -= Controller->IsInputKeyDown(EKeys::A) ? 1.0 : 0.0;
	Tower->SendInput(Move, Controller->IsInputKeyDown(EKeys::SpaceBar));
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
