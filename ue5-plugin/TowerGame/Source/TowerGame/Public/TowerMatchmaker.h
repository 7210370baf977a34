// Nakama login + matchmaking for Tower, through Heroic Labs' nakama-unreal plugin (2.11.0 or
// newer): device login -> realtime socket -> AddMatchmaker -> Nakama notification code 100
// {address, port, fingerprint, ticket} -> UTowerClientSubsystem::ConnectWithTicket. Code 101
// means no game server is live. The class always exists so Blueprints keep working; without
// a usable Nakama plugin every call fails with a message saying why. The async nodes in
// TowerAsyncActions.h wrap it with success/failure pins.
#pragma once

#include "CoreMinimal.h"
#include "TowerTypes.h"
#include "UObject/Object.h"
#include "TowerMatchmaker.generated.h"

DECLARE_DYNAMIC_MULTICAST_DELEGATE_OneParam(FOnTowerLoggedIn, const FString&, UserId);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_OneParam(FOnTowerMatchmakerStatus, const FString&, Status);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_OneParam(FOnTowerMatchFound, const FTowerMatchTicket&, Match);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_OneParam(FOnTowerMatchmakerFailed, const FString&, Reason);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_OneParam(FOnTowerMatchSearchEnded, const FString&, Reason);

UCLASS(BlueprintType)
class TOWERGAME_API UTowerMatchmaker : public UObject
{
	GENERATED_BODY()

public:
	// Makes a matchmaker owned by the game instance of WorldContextObject.
	UFUNCTION(BlueprintCallable, Category = "Tower|Nakama", meta = (WorldContext = "WorldContextObject"))
	static UTowerMatchmaker* CreateTowerMatchmaker(UObject* WorldContextObject);

	// Players per match; start from Project Settings > Tower > Nakama.
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tower|Nakama")
	int32 MinPlayers = 1;

	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tower|Nakama")
	int32 MaxPlayers = 8;

	// FindMatch connects the game instance's UTowerClientSubsystem as soon as a match is
	// found. Read when a search starts; the Tower Find Match node searches without
	// connecting and leaves this as it is.
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tower|Nakama")
	bool bConnectOnMatch = true;

	// Device login to the Nakama server of Project Settings > Tower. DeviceId empty: the
	// one in settings, or this machine's login id; in Play In Editor, clients after the
	// first add "-pieN" so they are distinct Nakama users. Nakama needs 10 to 128 bytes.
	UFUNCTION(BlueprintCallable, Category = "Tower|Nakama")
	void Login(const FString& DeviceId);

	// Device login to an explicit Nakama server.
	UFUNCTION(BlueprintCallable, Category = "Tower|Nakama")
	void LoginTo(const FString& Host, int32 Port, const FString& ServerKey, bool bUseSSL, const FString& DeviceId);

	// Opens the realtime socket (once) and joins the matchmaker. Connects on a match when
	// bConnectOnMatch is set. False, with the reason in OutError and no event, when the
	// search cannot start (no login, a search already under way, no usable Nakama plugin):
	// a refusal never reaches OnFailed, whose listeners belong to the search under way.
	UFUNCTION(BlueprintCallable, Category = "Tower|Nakama")
	bool FindMatch(FString& OutError);

	// FindMatch with the connect-on-match choice for this search only (C++; the Tower Find
	// Match node passes false).
	bool StartFindMatch(bool bConnect, FString& OutError);

	// Leaves the matchmaker pool (a ticket still being issued is removed when it arrives)
	// and ignores a match found from now on; the login and socket stay for the next search.
	// A search that was under way ends with OnSearchEnded.
	UFUNCTION(BlueprintCallable, Category = "Tower|Nakama")
	void CancelFindMatch();

	// A search is under way (FindMatch called, no match, failure or cancel since).
	UFUNCTION(BlueprintPure, Category = "Tower|Nakama")
	bool IsFindingMatch() const { return bFinding; }

	// Leaves the matchmaker, closes the socket and forgets the session (LoginTo starts with
	// it). Callbacks of requests in flight are ignored from now on; a search that was under
	// way ends with OnSearchEnded. Destroying the matchmaker only forgets (BeginDestroy).
	UFUNCTION(BlueprintCallable, Category = "Tower|Nakama")
	void Cancel();

	UFUNCTION(BlueprintPure, Category = "Tower|Nakama")
	bool IsLoggedIn() const { return NakamaSession != nullptr; }

	UFUNCTION(BlueprintPure, Category = "Tower|Nakama")
	FString GetUserId() const { return UserId; }

	// Parses a code-100 notification's JSON content (the engine-free core does the work).
	UFUNCTION(BlueprintPure, Category = "Tower|Nakama")
	static bool ParseMatchReady(const FString& Content, FTowerMatchTicket& OutTicket, FString& OutError);

	// Handles one Nakama notification (public for tests and custom transports).
	void HandleNotification(int32 Code, const FString& Content);

	UPROPERTY(BlueprintAssignable, Category = "Tower|Nakama")
	FOnTowerLoggedIn OnLoggedIn;

	UPROPERTY(BlueprintAssignable, Category = "Tower|Nakama")
	FOnTowerMatchmakerStatus OnStatus;

	UPROPERTY(BlueprintAssignable, Category = "Tower|Nakama")
	FOnTowerMatchFound OnMatchFound;

	// A search or login failed (after it started: refusals to start are return values).
	UPROPERTY(BlueprintAssignable, Category = "Tower|Nakama")
	FOnTowerMatchmakerFailed OnFailed;

	// A search under way was ended without a match or failure: CancelFindMatch, Cancel, or
	// a new login. The Tower Find Match node waiting on it fails with the reason.
	UPROPERTY(BlueprintAssignable, Category = "Tower|Nakama")
	FOnTowerMatchSearchEnded OnSearchEnded;

	// UObject. Runs inside a garbage-collection pass, where the Nakama objects may be
	// unreachable too: it only forgets them (no RemoveMatchmaker, no Disconnect; the Nakama
	// client and socket close themselves when they are destroyed) and ignores every later
	// callback.
	virtual void BeginDestroy() override;

	// Tests only (Private/Tests/TowerGlueTests.cpp; not a UFUNCTION): searches start
	// without Nakama or a login, and end only through HandleNotification, CancelFindMatch
	// or Cancel.
	void SearchOfflineForTests() { bOfflineForTests = true; }

private:
	void Fail(const FString& Reason);
	// Ends the search under way, if any, with OnSearchEnded(Reason).
	void EndSearch(const FString& Reason);
	// The Nakama half of StartFindMatch (a refusal naming the missing plugin without it).
	bool StartNakamaSearch(bool bConnect, FString& OutError);
	void QueueInMatchmaker();

	// Nakama objects, typed as UObject so this header does not need the Nakama plugin.
	UPROPERTY(Transient)
	TObjectPtr<UObject> NakamaClient;

	UPROPERTY(Transient)
	TObjectPtr<UObject> NakamaSession;

	UPROPERTY(Transient)
	TObjectPtr<UObject> NakamaRealtime;

	FString UserId;
	FString MatchmakerTicket;
	FDelegateHandle NotificationHandle;
	// Bumped by Cancel: callbacks from an older generation are ignored.
	uint32 Generation = 0;
	// Bumped by CancelFindMatch and Cancel: a search's callbacks check it too.
	uint32 SearchGeneration = 0;
	bool bFinding = false;
	// bConnectOnMatch (or StartFindMatch's argument) as it was when this search started.
	bool bConnectThisSearch = false;
	bool bOfflineForTests = false;
};
