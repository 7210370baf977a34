// Nakama login + matchmaking for Tower, through Heroic Labs' nakama-unreal plugin:
//   authenticate (device id) -> realtime socket -> AddMatchmaker -> Nakama notification
//   code 100 {address, port, fingerprint, ticket} -> UTowerClientSubsystem::ConnectWithTicket.
// Code 101 means no game server is live. The class always exists so Blueprints keep
// working; without the Nakama plugin (WITH_TOWER_NAKAMA == 0) FindMatch reports that.
#pragma once

#include "CoreMinimal.h"
#include "UObject/Object.h"
#include "TowerMatchmaker.generated.h"

DECLARE_DYNAMIC_MULTICAST_DELEGATE_OneParam(FOnTowerMatchmakerStatus, const FString&, Status);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_TwoParams(FOnTowerMatchFound, const FString&, ServerAddress, const FString&, Fingerprint);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_OneParam(FOnTowerMatchmakerFailed, const FString&, Reason);

// Notification codes sent by nakama/modules/tower_matchmaker.lua.
namespace TowerNakamaCodes
{
	constexpr int32 MatchReady = 100;
	constexpr int32 NoGameServer = 101;
}

// Connection details parsed from a "match ready" notification.
USTRUCT(BlueprintType)
struct TOWERGAME_API FTowerMatchTicket
{
	GENERATED_BODY()

	UPROPERTY(BlueprintReadOnly, Category = "Tower|Nakama")
	FString ServerAddress; // "host:port"

	UPROPERTY(BlueprintReadOnly, Category = "Tower|Nakama")
	FString Fingerprint;

	UPROPERTY(BlueprintReadOnly, Category = "Tower|Nakama")
	FString Ticket;
};

UCLASS(BlueprintType)
class TOWERGAME_API UTowerMatchmaker : public UObject
{
	GENERATED_BODY()

public:
	// Makes a matchmaker owned by the game instance of WorldContextObject.
	UFUNCTION(BlueprintCallable, Category = "Tower|Nakama", meta = (WorldContext = "WorldContextObject"))
	static UTowerMatchmaker* CreateTowerMatchmaker(UObject* WorldContextObject);

	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tower|Nakama")
	int32 MinPlayers = 2;

	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tower|Nakama")
	int32 MaxPlayers = 8;

	// Logs in to Nakama with DeviceId, joins the matchmaker and, when the match notification
	// arrives, connects the game instance's UTowerClientSubsystem with the ticket.
	UFUNCTION(BlueprintCallable, Category = "Tower|Nakama")
	void FindMatch(const FString& Host, int32 Port, const FString& ServerKey, bool bUseSSL, const FString& DeviceId);

	// Leaves the matchmaker and closes the socket.
	UFUNCTION(BlueprintCallable, Category = "Tower|Nakama")
	void Cancel();

	// Parses a notification's JSON content ({"address", "port", "fingerprint", "ticket"}).
	// Pure and engine-only, so it can be unit-tested in an automation test.
	UFUNCTION(BlueprintPure, Category = "Tower|Nakama")
	static bool ParseMatchReady(const FString& Content, FTowerMatchTicket& OutTicket, FString& OutError);

	UPROPERTY(BlueprintAssignable, Category = "Tower|Nakama")
	FOnTowerMatchmakerStatus OnStatus;

	UPROPERTY(BlueprintAssignable, Category = "Tower|Nakama")
	FOnTowerMatchFound OnMatchFound;

	UPROPERTY(BlueprintAssignable, Category = "Tower|Nakama")
	FOnTowerMatchmakerFailed OnFailed;

private:
	void Fail(const FString& Reason);
	void HandleNotification(int32 Code, const FString& Content);

	// Nakama objects, typed as UObject so this header does not need the Nakama plugin.
	UPROPERTY(Transient)
	TObjectPtr<UObject> NakamaClient;

	UPROPERTY(Transient)
	TObjectPtr<UObject> NakamaSession;

	UPROPERTY(Transient)
	TObjectPtr<UObject> NakamaRealtime;

	FString MatchmakerTicket;
	FDelegateHandle NotificationHandle;
};
