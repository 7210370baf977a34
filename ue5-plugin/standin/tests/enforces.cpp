// Proof that the stand-in enforces what Unreal enforces. Compiled by
// scripts/test.d/65-unreal-checks.sh once with STANDIN_CASE=0 (must compile: the sample is
// valid Unreal code) and once per case 1..N (each must fail to compile: it is the valid
// sample plus one mistake Unreal rejects). A case that compiles means the stand-in stopped
// checking that rule.
#include "CoreMinimal.h"
#include "GameFramework/Pawn.h"
#include "GameFramework/PlayerController.h"
#if STANDIN_CASE != 12
#include "ProfilingDebugging/CpuProfilerTrace.h"
#endif
#if STANDIN_CASE != 13
#include "UObject/SoftObjectPtr.h"
#endif

#define STANDIN_CASES 13

DECLARE_LOG_CATEGORY_EXTERN(LogStandInTest, Log, All);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_TwoParams(FOnStandInHit, int32, Damage, const FString&, Source);

class AStandInPawn : public APawn
{
public:
    void Tick(float DeltaSeconds) override;
    void HandleHit(int32 Damage, const FString& Source);
    void HandleWrong(int32 Damage);
    FOnStandInHit OnHit;
    TSoftObjectPtr<UObject> Look;
#if STANDIN_CASE == 10 // an override whose parameters differ from the engine's virtual
    void EndPlay(EEndPlayReason::Type EndPlayReason, bool bExtra) override;
#endif
};

void AStandInPawn::Tick(float DeltaSeconds)
{
    TRACE_CPUPROFILER_EVENT_SCOPE(AStandInPawn::Tick);
    Super::Tick(DeltaSeconds);
    const FString Name = GetName();
    const FString Line = FString::Printf(TEXT("%s took %d in %.2f s"), *Name, 3, DeltaSeconds);
    UE_LOG(LogStandInTest, Log, TEXT("%s"), *Line);
    checkf(DeltaSeconds >= 0.0f, TEXT("negative frame time %f"), DeltaSeconds);
    verify(IsValid(this));
    OnHit.AddDynamic(this, &AStandInPawn::HandleHit);
    const APlayerController* PlayerController = Cast<APlayerController>(GetController());
    (void)PlayerController;

#if STANDIN_CASE == 1 // a format that is not a literal (UE 5.4+: static assertion)
    const TCHAR* Format = TEXT("%s");
    UE_LOG(LogStandInTest, Log, Format, *Name);
#elif STANDIN_CASE == 2 // a ternary of two literals is not a literal either
    const FString Ternary = FString::Printf(DeltaSeconds > 1.0f ? TEXT("[%s]") : TEXT("%s"), *Name);
#elif STANDIN_CASE == 3 // %s given an FString, not *FString
    const FString NoStar = FString::Printf(TEXT("%s"), Name);
#elif STANDIN_CASE == 4 // one argument too few
    UE_LOG(LogStandInTest, Warning, TEXT("%s %d"), *Name);
#elif STANDIN_CASE == 5 // verify takes one argument: a core `Floor::verify(seed, floor)` collides
    verify(true, 1);
#elif STANDIN_CASE == 6 // a local hiding APawn::Controller (MSVC C4458)
    const APlayerController* Controller = Cast<APlayerController>(GetController());
    (void)Controller;
#elif STANDIN_CASE == 7 // AddDynamic with a function of another parameter list
    OnHit.AddDynamic(this, &AStandInPawn::HandleWrong);
#elif STANDIN_CASE == 8 // TEXT() of something that is not a string literal
    const TCHAR* NotLiteral = TEXT(Name);
#elif STANDIN_CASE == 9 // a local hiding the private AActor::Owner (MSVC C4458)
    AActor* Owner = GetOwner();
    (void)Owner;
#elif STANDIN_CASE == 11 // a log verbosity Unreal does not have
    UE_LOG(LogStandInTest, Loud, TEXT("%s"), *Name);
#endif
    // Case 12: TRACE_CPUPROFILER_EVENT_SCOPE without ProfilingDebugging/CpuProfilerTrace.h;
    // case 13: TSoftObjectPtr without UObject/SoftObjectPtr.h (CoreMinimal.h has neither).
}
