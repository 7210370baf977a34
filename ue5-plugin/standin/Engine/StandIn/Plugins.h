// Stand-in for the engine plugins the TowerGame module depends on: EnhancedInput and
// ProceduralMeshComponent. Declarations only (see StandIn/Core.h).
#pragma once

#include "StandIn/Engine.h"

// ---- EnhancedInput
enum class EInputActionValueType : uint8 { Boolean, Axis1D, Axis2D, Axis3D };
enum class ETriggerEvent : uint8 { None = 0, Triggered = 1, Started = 2, Ongoing = 4, Canceled = 8, Completed = 16 };
enum class EInputAxisSwizzle : uint8 { YXZ, ZYX, XZY, YZX, ZXY };

struct FInputActionValue
{
    template <typename T>
    T Get() const;
    EInputActionValueType GetValueType() const;
};
struct FInputActionInstance
{
    FInputActionValue GetValue() const;
};

class UInputAction : public UObject
{
    STANDIN_UCLASS(UInputAction, UObject);
    EInputActionValueType ValueType;
    bool bConsumeInput;
};
class UInputModifier : public UObject
{
    STANDIN_UCLASS(UInputModifier, UObject);
};
class UInputModifierNegate : public UInputModifier
{
    STANDIN_UCLASS(UInputModifierNegate, UInputModifier);
    bool bX = true;
    bool bY = true;
    bool bZ = true;
};
class UInputModifierSwizzleAxis : public UInputModifier
{
    STANDIN_UCLASS(UInputModifierSwizzleAxis, UInputModifier);
    EInputAxisSwizzle Order = EInputAxisSwizzle::YXZ;
};
class UInputTrigger : public UObject
{
    STANDIN_UCLASS(UInputTrigger, UObject);
};
struct FEnhancedActionKeyMapping
{
    TArray<TObjectPtr<UInputTrigger>> Triggers;
    TArray<TObjectPtr<UInputModifier>> Modifiers;
    TObjectPtr<const UInputAction> Action;
    FKey Key;
};
class UInputMappingContext : public UObject
{
    STANDIN_UCLASS(UInputMappingContext, UObject);
    FEnhancedActionKeyMapping& MapKey(const UInputAction* Action, FKey ToKey);
    void UnmapKey(const UInputAction* Action, FKey Key);

protected:
    TArray<FEnhancedActionKeyMapping> Mappings;
};
struct FEnhancedInputActionEventBinding
{
    uint32 GetHandle() const;
};
class UEnhancedInputComponent : public UInputComponent
{
    STANDIN_UCLASS(UEnhancedInputComponent, UInputComponent);
    template <typename U, typename C>
        requires std::is_base_of_v<C, U> && std::is_base_of_v<UObject, U>
    FEnhancedInputActionEventBinding& BindAction(const UInputAction* Action, ETriggerEvent TriggerEvent, U* Object, void (C::*Method)(const FInputActionValue&));
    template <typename U, typename C>
        requires std::is_base_of_v<C, U> && std::is_base_of_v<UObject, U>
    FEnhancedInputActionEventBinding& BindAction(const UInputAction* Action, ETriggerEvent TriggerEvent, U* Object, void (C::*Method)());
    template <typename U, typename C>
        requires std::is_base_of_v<C, U> && std::is_base_of_v<UObject, U>
    FEnhancedInputActionEventBinding& BindAction(const UInputAction* Action, ETriggerEvent TriggerEvent, U* Object, void (C::*Method)(const FInputActionInstance&));
    void ClearActionBindings();
};
struct FModifyContextOptions
{
    uint8 bIgnoreAllPressedKeysUntilRelease : 1;
    uint8 bForceImmediately : 1;
    uint8 bNotifyUserSettings : 1;
};
class UEnhancedInputLocalPlayerSubsystem : public UObject
{
    STANDIN_UCLASS(UEnhancedInputLocalPlayerSubsystem, UObject);
    void AddMappingContext(const UInputMappingContext* MappingContext, int32 Priority, const FModifyContextOptions& Options = FModifyContextOptions());
    void RemoveMappingContext(const UInputMappingContext* MappingContext, const FModifyContextOptions& Options = FModifyContextOptions());
};

// ---- ProceduralMeshComponent
struct FProcMeshTangent
{
    FVector TangentX;
    bool bFlipTangentY = false;
};
class UProceduralMeshComponent : public UMeshComponent
{
    STANDIN_UCLASS(UProceduralMeshComponent, UMeshComponent);
    bool bUseComplexAsSimpleCollision;
    bool bUseAsyncCooking;

    void CreateMeshSection_LinearColor(int32 SectionIndex, const TArray<FVector>& Vertices, const TArray<int32>& Triangles,
        const TArray<FVector>& Normals, const TArray<FVector2D>& UV0, const TArray<FLinearColor>& VertexColors,
        const TArray<FProcMeshTangent>& Tangents, bool bCreateCollision, bool bSRGBConversion = false);
    void ClearAllMeshSections();
    void ClearMeshSection(int32 SectionIndex);
};
