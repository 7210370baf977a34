// Async Blueprint nodes with success / failure pins: Tower Login (Nakama), Tower Find Match,
// Tower Connect (dev or match). Each wraps UTowerMatchmaker / UTowerClientSubsystem events,
// fires at most one pin, and ends. All three are cancellable: keep the node's Async Action
// output and call Cancel on it (a cancelled node fires no pin). Errors are sentences meant
// for a log or a message box. Every Cancel override returns early when the garbage
// collector runs it (UCancellableAsyncAction::BeginDestroy calls Cancel): the objects it
// would call may be unreachable in that same pass (scripts/unreal_lint.py checks it).
#pragma once

#include "Containers/Ticker.h"
#include "CoreMinimal.h"
#include "Engine/CancellableAsyncAction.h"
#include "Kismet/BlueprintAsyncActionBase.h"
#include "TowerTypes.h"
#include "TowerAsyncActions.generated.h"

class UTowerClientSubsystem;
class UTowerMatchmaker;

DECLARE_DYNAMIC_MULTICAST_DELEGATE_ThreeParams(FTowerLoginPin, UTowerMatchmaker*, Matchmaker, const FString&, UserId, const FString&, Error);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_TwoParams(FTowerFindMatchPin, const FTowerMatchTicket&, Match, const FString&, Error);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_FourParams(FTowerConnectPin, int32, EntityId, int32, Floor, FVector, SpawnLocation, const FString&, Error);

// Device login to Nakama (Project Settings > Tower > Nakama). Success gives the logged-in
// matchmaker for Tower Find Match. Cancel drops the login in flight.
UCLASS()
class TOWERGAME_API UTowerLoginAction : public UCancellableAsyncAction
{
	GENERATED_BODY()

public:
	// DeviceId empty: the one in Project Settings, or this machine's login id.
	UFUNCTION(BlueprintCallable, Category = "Tower|Nakama", meta = (BlueprintInternalUseOnly = "true", WorldContext = "WorldContextObject", DisplayName = "Tower Login (Nakama)"))
	static UTowerLoginAction* TowerLogin(UObject* WorldContextObject, const FString& DeviceId);

	UPROPERTY(BlueprintAssignable)
	FTowerLoginPin OnSuccess;

	UPROPERTY(BlueprintAssignable)
	FTowerLoginPin OnFailure;

	virtual void Activate() override;
	virtual void Cancel() override;

private:
	UFUNCTION()
	void HandleLoggedIn(const FString& UserId);

	UFUNCTION()
	void HandleFailed(const FString& Reason);

	void Finish();

	UPROPERTY(Transient)
	TObjectPtr<UTowerMatchmaker> LoginMatchmaker;

	TWeakObjectPtr<UObject> WorldContext;
	FString RequestedDeviceId;
};

// Joins the matchmaker with a logged-in matchmaker and waits for the game server's ticket.
// It only finds (whatever the matchmaker's bConnectOnMatch, which it leaves alone): connect
// with Tower Connect (Match). Cancel leaves the matchmaker pool; the login stays. A second
// node on a matchmaker that is already searching fails alone ("already waiting"), leaving
// the first one waiting; a search ended from elsewhere (CancelFindMatch, Cancel, a new
// login) ends the node on On Failure.
UCLASS()
class TOWERGAME_API UTowerFindMatchAction : public UCancellableAsyncAction
{
	GENERATED_BODY()

public:
	UFUNCTION(BlueprintCallable, Category = "Tower|Nakama", meta = (BlueprintInternalUseOnly = "true", WorldContext = "WorldContextObject", DisplayName = "Tower Find Match"))
	static UTowerFindMatchAction* TowerFindMatch(UObject* WorldContextObject, UTowerMatchmaker* Matchmaker);

	UPROPERTY(BlueprintAssignable)
	FTowerFindMatchPin OnSuccess;

	UPROPERTY(BlueprintAssignable)
	FTowerFindMatchPin OnFailure;

	virtual void Activate() override;
	virtual void Cancel() override;

	// Activated and waiting for a match (no pin fired yet).
	UFUNCTION(BlueprintPure, Category = "Tower|Nakama")
	bool IsSearching() const { return SearchMatchmaker != nullptr; }

private:
	UFUNCTION()
	void HandleMatchFound(const FTowerMatchTicket& Match);

	UFUNCTION()
	void HandleFailed(const FString& Reason);

	UFUNCTION()
	void HandleSearchEnded(const FString& Reason);

	void Finish();
	void FailNow(const FString& Reason);

	UPROPERTY(Transient)
	TObjectPtr<UTowerMatchmaker> SearchMatchmaker;
};

// Connects the game instance's Tower client and succeeds once the server admits the player
// to a floor; fails on the first error or disconnect before that, or when no floor came
// within Project Settings > Tower > Connect Timeout Seconds (then the attempt is dropped).
// Cancel drops the attempt too (UTowerClientSubsystem::Disconnect) and fires no pin.
UCLASS()
class TOWERGAME_API UTowerConnectAction : public UCancellableAsyncAction
{
	GENERATED_BODY()

public:
	// Development login with the server, fingerprint and name from Project Settings.
	UFUNCTION(BlueprintCallable, Category = "Tower|Client", meta = (BlueprintInternalUseOnly = "true", WorldContext = "WorldContextObject", DisplayName = "Tower Connect (Dev)"))
	static UTowerConnectAction* TowerConnectDev(UObject* WorldContextObject);

	// Login with a match ticket from Tower Find Match.
	UFUNCTION(BlueprintCallable, Category = "Tower|Client", meta = (BlueprintInternalUseOnly = "true", WorldContext = "WorldContextObject", DisplayName = "Tower Connect (Match)"))
	static UTowerConnectAction* TowerConnectWithMatch(UObject* WorldContextObject, const FTowerMatchTicket& Match);

	UPROPERTY(BlueprintAssignable)
	FTowerConnectPin OnSuccess;

	UPROPERTY(BlueprintAssignable)
	FTowerConnectPin OnFailure;

	virtual void Activate() override;
	virtual void Cancel() override;

private:
	UFUNCTION()
	void HandleConnected(int32 EntityId);

	UFUNCTION()
	void HandleAdmitted(int32 Floor, FVector SpawnLocation);

	UFUNCTION()
	void HandleError(const FString& Message);

	UFUNCTION()
	void HandleDisconnected(const FString& Reason);

	bool HandleTimeout(float DeltaTime);
	void Finish();
	void FailNow(const FString& Message);
	// Ends the connection attempt this node started, unless it already reached a floor.
	void DropAttempt();

	TWeakObjectPtr<UObject> WorldContext;
	FTSTicker::FDelegateHandle TimeoutHandle;
	float TimeoutSeconds = 0.0f;
	TWeakObjectPtr<UTowerClientSubsystem> Tower;
	FTowerMatchTicket MatchTicket;
	bool bWithMatch = false;
	bool bDone = false;
	int32 ConnectedEntityId = 0;
};
