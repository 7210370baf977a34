// Stand-in for the parts of Unreal's Engine, DeveloperSettings, InputCore, EnhancedInput,
// ProceduralMeshComponent and Projects modules the TowerGame glue uses: declarations only
// (see StandIn/Core.h for what the stand-in enforces). The members listed on engine
// classes are the ones a derived class's locals and parameters can hide; keep them when
// adding API.
#pragma once

#include "StandIn/Core.h"

#define UE_STANDIN_ENGINE 1

class AActor;
class APawn;
class AController;
class APlayerController;
class UActorComponent;
class USceneComponent;
class UGameInstance;
class ULocalPlayer;
class ULevel;
class UInputComponent;
class UMaterialInterface;
class UStaticMesh;
class UTexture2D;
struct FWorldContext;
struct FTimerManager;
class APlayerState;
class UPlayerInput;

struct FPropertyChangedEvent
{
    enum EChangeType : uint32 { Unspecified = 1, ArrayAdd = 2, ArrayRemove = 4, ArrayClear = 8, ValueSet = 16, Duplicate = 32, Interactive = 64, Redirected = 128 };
    uint32 ChangeType = Unspecified;
    FName GetPropertyName() const;
    FName GetMemberPropertyName() const;
};
#define GET_MEMBER_NAME_CHECKED(ClassName, MemberName) ((void)sizeof(&ClassName::MemberName), FName(#MemberName))

// ---- World and game framework
namespace EWorldType
{
    enum Type { None, Game, Editor, PIE, EditorPreview, GamePreview, GameRPC, Inactive };
}
enum class EGetWorldErrorMode { ReturnNull, LogAndReturnNull, Assert };
namespace EEndPlayReason
{
    enum Type : int { Destroyed, LevelTransition, EndPlayInEditor, RemovedFromWorld, Quit };
}
enum ELevelTick { LEVELTICK_TimeOnly = 0, LEVELTICK_ViewportsOnly = 1, LEVELTICK_All = 2, LEVELTICK_PauseTick = 3 };
enum ETickingGroup { TG_PrePhysics, TG_StartPhysics, TG_DuringPhysics, TG_EndPhysics, TG_PostPhysics, TG_PostUpdateWork, TG_LastDemotable, TG_NewlySpawned };
enum class ESpawnActorCollisionHandlingMethod : uint8 { Undefined, AlwaysSpawn, AdjustIfPossibleButAlwaysSpawn, AdjustIfPossibleButDontSpawnIfColliding, DontSpawnIfColliding };
namespace ECollisionEnabled
{
    enum Type : int { NoCollision, QueryOnly, PhysicsOnly, QueryAndPhysics };
}

struct FTickFunction
{
    uint8 bCanEverTick : 1;
    uint8 bStartWithTickEnabled : 1;
    uint8 bTickEvenWhenPaused : 1;
    ETickingGroup TickGroup;
    float TickInterval;
};
struct FActorTickFunction : FTickFunction {};
struct FActorComponentTickFunction : FTickFunction {};

struct FActorSpawnParameters
{
    FName Name;
    AActor* Owner = nullptr;
    APawn* Instigator = nullptr;
    ESpawnActorCollisionHandlingMethod SpawnCollisionHandlingOverride = ESpawnActorCollisionHandlingMethod::Undefined;
    EObjectFlags ObjectFlags = RF_NoFlags;
};

struct FTimerHandle
{
    bool IsValid() const;
    void Invalidate();
};
DECLARE_DELEGATE(FTimerDelegate);
struct FTimerManager
{
    template <typename U, typename C>
        requires std::is_base_of_v<C, U>
    void SetTimer(FTimerHandle& Handle, U* Object, void (C::*Method)(), float Rate, bool bLoop = false, float FirstDelay = -1.0f);
    void SetTimer(FTimerHandle& Handle, const FTimerDelegate& Delegate, float Rate, bool bLoop, float FirstDelay = -1.0f);
    void ClearTimer(FTimerHandle& Handle);
    void ClearAllTimersForObject(const void* Object);
    bool IsTimerActive(FTimerHandle Handle) const;
};

// Engine/EngineBaseTypes.h: how a world takes part in Unreal's own replication.
enum ENetMode
{
    NM_Standalone,
    NM_DedicatedServer,
    NM_ListenServer,
    NM_Client,
    NM_MAX,
};

class UWorld : public UObject
{
    STANDIN_UCLASS(UWorld, UObject);
    EWorldType::Type WorldType;
    bool bIsTearingDown;

    static UWorld* CreateWorld(EWorldType::Type Type, bool bInformEngineOfWorld, FName WorldName = NAME_None, UPackage* InWorldPackage = nullptr, bool bAddToRoot = true);
    void DestroyWorld(bool bInformEngineOfWorld, UWorld* NewWorld = nullptr);
    bool IsGameWorld() const;
    bool IsEditorWorld() const;
    bool IsPlayInEditor() const;
    ENetMode GetNetMode() const;
    UGameInstance* GetGameInstance() const;
    template <typename T>
    T* GetGameInstance() const;
    FTimerManager& GetTimerManager() const;
    APlayerController* GetFirstPlayerController() const;
    double GetTimeSeconds() const;
    template <typename T>
    T* SpawnActor(const FVector& Location, const FRotator& Rotation, const FActorSpawnParameters& Params = FActorSpawnParameters());
    template <typename T>
    T* SpawnActor(UClass* Class, const FVector& Location, const FRotator& Rotation, const FActorSpawnParameters& Params = FActorSpawnParameters());
    template <typename T>
    T* SpawnActor(const FActorSpawnParameters& Params = FActorSpawnParameters());
};

struct FWorldContext
{
    EWorldType::Type WorldType;
    int32 PIEInstance;
    FName ContextHandle;
    UGameInstance* OwningGameInstance;
    UWorld* World() const;
};

class FSubsystemCollectionBase;
class USubsystem : public UObject
{
    STANDIN_UCLASS(USubsystem, UObject);
    virtual bool ShouldCreateSubsystem(UObject* Outer) const;
    virtual void Initialize(FSubsystemCollectionBase& Collection);
    virtual void Deinitialize();
};
class FSubsystemCollectionBase
{
public:
    template <typename T>
    T* InitializeDependency();
};
class UGameInstanceSubsystem;
class UGameInstanceSubsystem : public USubsystem
{
    STANDIN_UCLASS(UGameInstanceSubsystem, USubsystem);
    UGameInstance* GetGameInstance() const;
};

class UGameInstance : public UObject
{
    STANDIN_UCLASS(UGameInstance, UObject);
    FWorldContext* GetWorldContext() const;
    template <typename T>
    T* GetSubsystem() const
    {
        static_assert(std::is_base_of_v<UGameInstanceSubsystem, T>, "GetSubsystem<T>: T is a game instance subsystem");
        return nullptr;
    }
    ULocalPlayer* GetFirstGamePlayer() const;
    FTimerManager& GetTimerManager() const;

private:
    FWorldContext* WorldContext;
    TArray<TObjectPtr<ULocalPlayer>> LocalPlayers;
};

class UEngine : public UObject
{
    STANDIN_UCLASS(UEngine, UObject);
    UWorld* GetWorldFromContextObject(const UObject* Object, EGetWorldErrorMode ErrorMode) const;
    void AddOnScreenDebugMessage(int32 Key, float TimeToDisplay, FColor DisplayColor, const FString& DebugMessage);
};
extern UEngine* GEngine;

// ---- Components
class UActorComponent : public UObject
{
    STANDIN_UCLASS(UActorComponent, UObject);
    FActorComponentTickFunction PrimaryComponentTick;
    TArray<FName> ComponentTags;
    uint8 bAutoActivate : 1;
    uint8 bEditableWhenInherited : 1;

    AActor* GetOwner() const;
    template <typename T>
    T* GetOwner() const;
    UWorld* GetWorld() const override;
    bool ComponentHasTag(FName Tag) const;
    bool IsRegistered() const;
    bool IsBeingDestroyed() const;
    void RegisterComponent();
    void UnregisterComponent();
    virtual void DestroyComponent(bool bPromoteChildren = false);
    virtual void BeginPlay();
    virtual void EndPlay(const EEndPlayReason::Type EndPlayReason);
    virtual void TickComponent(float DeltaTime, ELevelTick TickType, FActorComponentTickFunction* ThisTickFunction);
    virtual void OnRegister();
    virtual void OnUnregister();
    virtual void InitializeComponent();
    void SetComponentTickEnabled(bool bEnabled);

protected:
    virtual void OnComponentDestroyed(bool bDestroyingHierarchy);
    uint8 bRegistered : 1;
    uint8 bWantsInitializeComponent : 1;

private:
    mutable AActor* OwnerPrivate;
    UWorld* WorldPrivate;
    uint8 bIsActive : 1;
};

enum class EAttachmentRule : uint8 { KeepRelative, KeepWorld, SnapToTarget };
struct FAttachmentTransformRules
{
    static const FAttachmentTransformRules KeepRelativeTransform;
    static const FAttachmentTransformRules SnapToTargetNotIncludingScale;
};
namespace EComponentMobility
{
    enum Type : int { Static, Stationary, Movable };
}

class USceneComponent : public UActorComponent
{
    STANDIN_UCLASS(USceneComponent, UActorComponent);
    FVector ComponentVelocity;

    void SetupAttachment(USceneComponent* Parent, FName SocketName = NAME_None);
    bool AttachToComponent(USceneComponent* Parent, const FAttachmentTransformRules& Rules, FName SocketName = NAME_None);
    USceneComponent* GetAttachParent() const;
    const FTransform& GetComponentTransform() const;
    FVector GetComponentLocation() const;
    void SetRelativeLocation(const FVector& Location);
    void SetRelativeRotation(const FRotator& Rotation);
    void SetRelativeScale3D(const FVector& Scale);
    void SetWorldLocation(const FVector& Location);
    void SetUsingAbsoluteRotation(bool bInAbsoluteRotation);
    void SetUsingAbsoluteScale(bool bInAbsoluteScale);
    void SetVisibility(bool bNewVisibility, bool bPropagateToChildren = false);
    void SetMobility(EComponentMobility::Type NewMobility);

private:
    TObjectPtr<USceneComponent> AttachParent;
    FName AttachSocketName;
    TArray<TObjectPtr<USceneComponent>> AttachChildren;
    FVector RelativeLocation;
    FRotator RelativeRotation;
    FVector RelativeScale3D;
    FTransform ComponentToWorld;
    uint8 bAbsoluteLocation : 1;
    uint8 bAbsoluteRotation : 1;
    uint8 bAbsoluteScale : 1;
    uint8 bVisible : 1;
    uint8 bHiddenInGame : 1;
};

class UPrimitiveComponent : public USceneComponent
{
    STANDIN_UCLASS(UPrimitiveComponent, USceneComponent);
    virtual void SetCollisionEnabled(ECollisionEnabled::Type NewType);
    virtual void SetMaterial(int32 ElementIndex, UMaterialInterface* Material);
    void SetCastShadow(bool bNewCastShadow);
    uint8 bCastDynamicShadow : 1;
    uint8 CastShadow : 1;
};
class UMeshComponent : public UPrimitiveComponent
{
    STANDIN_UCLASS(UMeshComponent, UPrimitiveComponent);
    TArray<TObjectPtr<UMaterialInterface>> OverrideMaterials;
};
class UStaticMeshComponent : public UMeshComponent
{
    STANDIN_UCLASS(UStaticMeshComponent, UMeshComponent);
    virtual bool SetStaticMesh(UStaticMesh* NewMesh);

private:
    TObjectPtr<UStaticMesh> StaticMesh;
};
class UInstancedStaticMeshComponent : public UStaticMeshComponent
{
    STANDIN_UCLASS(UInstancedStaticMeshComponent, UStaticMeshComponent);
    virtual TArray<int32> AddInstances(const TArray<FTransform>& InstanceTransforms, bool bShouldReturnIndices, bool bWorldSpace = false, bool bUpdateNavigation = true);
    virtual void ClearInstances();
    int32 GetInstanceCount() const;
};
class UCameraComponent : public USceneComponent
{
    STANDIN_UCLASS(UCameraComponent, USceneComponent);
    float FieldOfView;
};
class USpringArmComponent : public USceneComponent
{
    STANDIN_UCLASS(USpringArmComponent, USceneComponent);
    float TargetArmLength;
    FVector SocketOffset;
    FVector TargetOffset;
    uint32 bDoCollisionTest : 1;
    uint32 bUsePawnControlRotation : 1;
    uint32 bEnableCameraLag : 1;
};

// ---- Actors
class AActor : public UObject
{
    STANDIN_UCLASS(AActor, UObject);
    AActor();
    FActorTickFunction PrimaryActorTick;
    uint8 bReplicates : 1;
    uint8 bRunConstructionScriptOnDrag : 1;
    TArray<FName> Tags;
    float InitialLifeSpan;

    UWorld* GetWorld() const override;
    AActor* GetOwner() const;
    USceneComponent* GetRootComponent() const;
    FVector GetActorLocation() const;
    FRotator GetActorRotation() const;
    const FTransform& GetActorTransform() const;
    bool SetActorLocation(const FVector& NewLocation, bool bSweep = false);
    bool SetActorLocationAndRotation(FVector NewLocation, FRotator NewRotation, bool bSweep = false);
    void SetActorHiddenInGame(bool bNewHidden);
    bool IsHidden() const;
    const TSet<UActorComponent*>& GetComponents() const;
    template <typename T>
    T* FindComponentByClass() const;
    template <typename T>
    T* CreateDefaultSubobject(FName SubobjectName, bool bTransient = false);
    virtual bool Destroy(bool bNetForce = false, bool bShouldModifyLevel = true);
    virtual void Tick(float DeltaSeconds);
    virtual void OnConstruction(const FTransform& Transform);
    virtual void PostRegisterAllComponents();
    virtual void PostActorCreated();
    virtual void Destroyed();
    virtual void EndPlay(const EEndPlayReason::Type EndPlayReason);
    bool HasActorBegunPlay() const;
    ENetMode GetNetMode() const;

protected:
    virtual void BeginPlay();
    TObjectPtr<USceneComponent> RootComponent;

private:
    TObjectPtr<AActor> Owner;
    TObjectPtr<APawn> Instigator;
    TSet<UActorComponent*> OwnedComponents;
    uint8 bHidden : 1;
    uint8 bActorIsBeingDestroyed : 1;
};

class APawn : public AActor
{
    STANDIN_UCLASS(APawn, AActor);
    TObjectPtr<AController> Controller;
    TObjectPtr<UInputComponent> InputComponent;
    uint32 bUseControllerRotationYaw : 1;
    float BaseEyeHeight;

    AController* GetController() const;
    template <typename T>
    T* GetController() const;
    bool IsLocallyControlled() const;
    virtual void PossessedBy(AController* NewController);
    virtual void UnPossessed();
    virtual void PawnClientRestart();
    virtual void NotifyControllerChanged();

protected:
    virtual void SetupPlayerInputComponent(UInputComponent* PlayerInputComponent);
    virtual UInputComponent* CreatePlayerInputComponent();

private:
    TObjectPtr<APlayerState> PlayerState;
};

class AController : public AActor
{
    STANDIN_UCLASS(AController, AActor);
    APawn* GetPawn() const;
    bool IsLocalController() const;

private:
    TObjectPtr<APawn> Pawn;
};

struct FKey
{
    FKey();
    FKey(FName InName);
    FName GetFName() const;
};
struct EKeys
{
    static const FKey W, A, S, D, SpaceBar, Gamepad_LeftX, Gamepad_LeftY, Gamepad_FaceButton_Bottom;
};

class APlayerController : public AController
{
    STANDIN_UCLASS(APlayerController, AController);
    TObjectPtr<UPlayerInput> PlayerInput;
    ULocalPlayer* GetLocalPlayer() const;
    bool IsInputKeyDown(const FKey& Key) const;
};

class AGameModeBase : public AActor
{
    STANDIN_UCLASS(AGameModeBase, AActor);
    TSubclassOf<APawn> DefaultPawnClass;
    TSubclassOf<APlayerController> PlayerControllerClass;
    virtual void StartPlay();
    virtual void InitGame(const FString& MapName, const FString& Options, FString& ErrorMessage);
};

template <typename T>
class TActorIterator
{
public:
    explicit TActorIterator(const UWorld* World);
    explicit operator bool() const;
    bool operator!() const;
    T* operator*() const;
    T* operator->() const;
    TActorIterator& operator++();
};

// ---- Assets
class UStaticMesh : public UObject
{
    STANDIN_UCLASS(UStaticMesh, UObject);
};
class UMaterialInterface : public UObject
{
    STANDIN_UCLASS(UMaterialInterface, UObject);
};
class UTexture2D : public UObject
{
    STANDIN_UCLASS(UTexture2D, UObject);
};
struct ConstructorHelpers
{
    template <typename T>
    struct FObjectFinder
    {
        T* Object;
        explicit FObjectFinder(const TCHAR* ObjectToFind, uint32 LoadFlags = 0);
        bool Succeeded() const;
    };
};

// ---- Settings (DeveloperSettings module)
class UDeveloperSettings : public UObject
{
    STANDIN_UCLASS(UDeveloperSettings, UObject);
    virtual FName GetContainerName() const;
    virtual FName GetCategoryName() const;
    virtual FName GetSectionName() const;
#if WITH_EDITOR
    virtual FText GetSectionText() const;
    DECLARE_MULTICAST_DELEGATE_TwoParams(FOnSettingsChanged, UObject*, struct FPropertyChangedEvent&);
    FOnSettingsChanged& OnSettingChanged();
    void PostEditChangeProperty(FPropertyChangedEvent& PropertyChangedEvent) override;
#endif

protected:
    FName CategoryName;
    FName SectionName;

private:
#if WITH_EDITOR
    FOnSettingsChanged SettingsChangedDelegate;
#endif
};

// ---- Blueprint support (Kismet, Engine)
class UBlueprintFunctionLibrary : public UObject
{
    STANDIN_UCLASS(UBlueprintFunctionLibrary, UObject);
};
class UBlueprintAsyncActionBase : public UObject
{
    STANDIN_UCLASS(UBlueprintAsyncActionBase, UObject);
    virtual void Activate();
    virtual void RegisterWithGameInstance(const UObject* WorldContextObject);
    virtual void RegisterWithGameInstance(UGameInstance* GameInstance);
    virtual void SetReadyToDestroy();

protected:
    TWeakObjectPtr<UGameInstance> RegisteredWithGameInstance;
};
// Engine/CancellableAsyncAction.h. Its BeginDestroy() calls Cancel() when the garbage
// collector destroys an action, so a Cancel override also runs inside a GC pass, when the
// objects the action references may be unreachable and destroyed in the same pass: an
// override returns early (Super::Cancel() only) when HasAnyFlags(RF_BeginDestroyed)
// (scripts/unreal_lint.py checks it).
class UCancellableAsyncAction : public UBlueprintAsyncActionBase
{
    STANDIN_UCLASS(UCancellableAsyncAction, UBlueprintAsyncActionBase);
    virtual void BeginDestroy() override; // calls Cancel(), then Super::BeginDestroy()
    virtual void Cancel();
    virtual bool IsActive() const;
    virtual bool ShouldBroadcastDelegates() const;
    virtual bool IsRegistered() const;
    FTimerManager* GetTimerManager() const;
};

// ---- Tickable objects (Tickable.h)
enum class ETickableTickType : uint8 { Conditional, Always, Never };
class FTickableGameObject
{
public:
    virtual ~FTickableGameObject();
    virtual void Tick(float DeltaTime) = 0;
    virtual TStatId GetStatId() const = 0;
    virtual ETickableTickType GetTickableTickType() const;
    virtual bool IsTickable() const;
    virtual bool IsTickableWhenPaused() const;
    virtual bool IsTickableInEditor() const;
};

// ---- Local player and its subsystems
class ULocalPlayer : public UObject
{
    STANDIN_UCLASS(ULocalPlayer, UObject);
    template <typename T>
    static T* GetSubsystem(const ULocalPlayer* LocalPlayer);
    APlayerController* GetPlayerController(const UWorld* World) const;

private:
    TObjectPtr<APlayerController> PlayerController;
};
class UInputComponent : public UActorComponent
{
    STANDIN_UCLASS(UInputComponent, UActorComponent);
};

// ---- Automation (Misc/AutomationTest.h)
namespace EAutomationTestFlags
{
    enum Type : uint32 { EditorContext = 1, ClientContext = 2, ServerContext = 4, CommandletContext = 8, EngineFilter = 1u << 20, ProductFilter = 1u << 22 };
    inline constexpr Type operator|(Type A, Type B) { return Type(uint32(A) | uint32(B)); }
}
class FAutomationTestBase
{
public:
    FAutomationTestBase(const FString& Name, bool bComplex);
    virtual ~FAutomationTestBase();
    void AddError(const FString& Error, int32 StackOffset = 0);
    void AddWarning(const FString& Warning, int32 StackOffset = 0);
    void AddInfo(const FString& Info, int32 StackOffset = 0);
    bool TestTrue(const TCHAR* What, bool Value);
    bool TestFalse(const TCHAR* What, bool Value);
    template <typename T>
    bool TestNotNull(const TCHAR* What, const T* Pointer);
    template <typename A, typename B>
    bool TestEqual(const TCHAR* What, const A& Actual, const B& Expected);
    bool TestEqual(const TCHAR* What, const FString& Actual, const FString& Expected);
    bool TestEqual(const TCHAR* What, int32 Actual, int32 Expected);

protected:
    virtual bool RunTest(const FString& Parameters) = 0;
    FString TestName;
};
#define IMPLEMENT_SIMPLE_AUTOMATION_TEST(TClass, PrettyName, TFlags)      \
    class TClass : public FAutomationTestBase                            \
    {                                                                    \
    public:                                                              \
        TClass(const FString& InName) : FAutomationTestBase(InName, false) { (void)(TFlags); } \
                                                                         \
    protected:                                                           \
        bool RunTest(const FString& Parameters) override;                \
    };                                                                   \
    static TClass TClass##AutomationTestInstance(TEXT(PrettyName));
