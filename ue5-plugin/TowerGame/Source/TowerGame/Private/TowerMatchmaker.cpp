#include "TowerMatchmaker.h"

#include "Dom/JsonObject.h"
#include "Engine/Engine.h"
#include "Engine/GameInstance.h"
#include "Engine/World.h"
#include "Serialization/JsonReader.h"
#include "Serialization/JsonSerializer.h"
#include "TowerClientSubsystem.h"
#include "TowerGameModule.h"
#include "UObject/Package.h"

#if WITH_TOWER_NAKAMA
#include "NakamaClient.h"
#include "NakamaNotification.h"
#include "NakamaRealtimeClient.h"
#include "NakamaSession.h"
#endif

UTowerMatchmaker* UTowerMatchmaker::CreateTowerMatchmaker(UObject* WorldContextObject)
{
	UWorld* World = GEngine != nullptr
		? GEngine->GetWorldFromContextObject(WorldContextObject, EGetWorldErrorMode::LogAndReturnNull)
		: nullptr;
	UObject* Outer = World != nullptr && World->GetGameInstance() != nullptr
		? static_cast<UObject*>(World->GetGameInstance())
		: static_cast<UObject*>(GetTransientPackage());
	return NewObject<UTowerMatchmaker>(Outer);
}

bool UTowerMatchmaker::ParseMatchReady(const FString& Content, FTowerMatchTicket& OutTicket, FString& OutError)
{
	TSharedPtr<FJsonObject> Json;
	const TSharedRef<TJsonReader<>> Reader = TJsonReaderFactory<>::Create(Content);
	if (!FJsonSerializer::Deserialize(Reader, Json) || !Json.IsValid())
	{
		OutError = TEXT("match notification is not a JSON object");
		return false;
	}
	FString Address;
	FString Fingerprint;
	FString Ticket;
	double Port = 0.0;
	if (!Json->TryGetStringField(TEXT("address"), Address) || Address.IsEmpty() ||
		!Json->TryGetNumberField(TEXT("port"), Port) || Port < 1.0 || Port > 65535.0 ||
		!Json->TryGetStringField(TEXT("fingerprint"), Fingerprint) || Fingerprint.Len() != 64 ||
		!Json->TryGetStringField(TEXT("ticket"), Ticket) || Ticket.IsEmpty())
	{
		OutError = FString::Printf(TEXT("match notification lacks address/port/fingerprint/ticket: %s"), *Content);
		return false;
	}
	// IPv6 literals need brackets in "host:port".
	const bool bIpv6 = Address.Contains(TEXT(":")) && !Address.StartsWith(TEXT("["));
	OutTicket.ServerAddress = FString::Printf(bIpv6 ? TEXT("[%s]:%d") : TEXT("%s:%d"), *Address, static_cast<int32>(Port));
	OutTicket.Fingerprint = Fingerprint;
	OutTicket.Ticket = Ticket;
	return true;
}

void UTowerMatchmaker::Fail(const FString& Reason)
{
	UE_LOG(LogTower, Warning, TEXT("Tower matchmaker: %s"), *Reason);
	OnFailed.Broadcast(Reason);
}

void UTowerMatchmaker::HandleNotification(int32 Code, const FString& Content)
{
	if (Code == TowerNakamaCodes::NoGameServer)
	{
		Fail(FString::Printf(TEXT("no game server is available: %s"), *Content));
		return;
	}
	if (Code != TowerNakamaCodes::MatchReady)
	{
		return; // some other notification (friend request, guild...): not ours
	}
	FTowerMatchTicket Match;
	FString Error;
	if (!ParseMatchReady(Content, Match, Error))
	{
		Fail(Error);
		return;
	}
	OnMatchFound.Broadcast(Match.ServerAddress, Match.Fingerprint);

	UGameInstance* GameInstance = Cast<UGameInstance>(GetOuter());
	UTowerClientSubsystem* Tower = GameInstance != nullptr ? GameInstance->GetSubsystem<UTowerClientSubsystem>() : nullptr;
	if (Tower == nullptr)
	{
		Fail(TEXT("no UTowerClientSubsystem: create the matchmaker with CreateTowerMatchmaker from a world context"));
		return;
	}
#if WITH_TOWER_NAKAMA
	const UNakamaSession* Session = Cast<UNakamaSession>(NakamaSession);
	const FString SessionToken = Session != nullptr ? Session->GetAuthToken() : FString();
#else
	const FString SessionToken;
#endif
	OnStatus.Broadcast(FString::Printf(TEXT("connecting to %s"), *Match.ServerAddress));
	Tower->ConnectWithTicket(Match.ServerAddress, Match.Fingerprint, Match.Ticket, SessionToken);
}

#if WITH_TOWER_NAKAMA

void UTowerMatchmaker::FindMatch(const FString& Host, int32 Port, const FString& ServerKey, bool bUseSSL, const FString& DeviceId)
{
	Cancel();
	UNakamaClient* Client = UNakamaClient::CreateDefaultClient(ServerKey, Host, Port, bUseSSL, /*EnableDebug=*/false);
	if (Client == nullptr)
	{
		Fail(TEXT("could not create the Nakama client"));
		return;
	}
	NakamaClient = Client;
	OnStatus.Broadcast(TEXT("logging in to Nakama"));

	// The callbacks run on the game thread; a weak pointer guards against this object
	// being collected while a request is in flight.
	TWeakObjectPtr<UTowerMatchmaker> WeakThis(this);
	Client->AuthenticateDevice(DeviceId, TOptional<bool>(true), TOptional<FString>(), TMap<FString, FString>(),
		[WeakThis](UNakamaSession* Session)
		{
			UTowerMatchmaker* Self = WeakThis.Get();
			UNakamaClient* NClient = Self != nullptr ? Cast<UNakamaClient>(Self->NakamaClient) : nullptr;
			if (NClient == nullptr)
			{
				return;
			}
			Self->NakamaSession = Session;
			UNakamaRealtimeClient* Realtime = NClient->SetupRealtimeClient();
			if (Realtime == nullptr)
			{
				Self->Fail(TEXT("could not create the Nakama realtime client"));
				return;
			}
			Self->NakamaRealtime = Realtime;
			Self->NotificationHandle = Realtime->NotificationReceivedNative.AddWeakLambda(Self,
				[Self](const FNakamaNotificationList& List)
				{
					for (const FNakamaNotification& Notification : List.Notifications)
					{
						Self->HandleNotification(Notification.Code, Notification.Content);
					}
				});
			Self->OnStatus.Broadcast(TEXT("opening the Nakama socket"));
			Realtime->Connect(Session, /*bCreateStatus=*/true,
				[WeakThis]()
				{
					UTowerMatchmaker* Me = WeakThis.Get();
					UNakamaRealtimeClient* Rt = Me != nullptr ? Cast<UNakamaRealtimeClient>(Me->NakamaRealtime) : nullptr;
					if (Rt == nullptr)
					{
						return;
					}
					TOptional<int32> MinCount = Me->MinPlayers;
					TOptional<int32> MaxCount = Me->MaxPlayers;
					Rt->AddMatchmaker(MinCount, MaxCount, TOptional<FString>(TEXT("*")),
						TMap<FString, FString>(), TMap<FString, double>(), TOptional<int32>(),
						[WeakThis](const FNakamaMatchmakerTicket& Ticket)
						{
							if (UTowerMatchmaker* Ok = WeakThis.Get())
							{
								Ok->MatchmakerTicket = Ticket.TicketId;
								Ok->OnStatus.Broadcast(TEXT("waiting for a match"));
							}
						},
						[WeakThis](const FNakamaRtError& Error)
						{
							if (UTowerMatchmaker* Failed = WeakThis.Get())
							{
								Failed->Fail(FString::Printf(TEXT("AddMatchmaker failed: %s"), *Error.Message));
							}
						});
				},
				[WeakThis](const FNakamaRtError& Error)
				{
					if (UTowerMatchmaker* Me = WeakThis.Get())
					{
						Me->Fail(FString::Printf(TEXT("Nakama socket failed: %s"), *Error.Message));
					}
				});
		},
		[WeakThis](const FNakamaError& Error)
		{
			if (UTowerMatchmaker* Self = WeakThis.Get())
			{
				Self->Fail(FString::Printf(TEXT("Nakama login failed: %s"), *Error.Message));
			}
		});
}

void UTowerMatchmaker::Cancel()
{
	if (UNakamaRealtimeClient* Realtime = Cast<UNakamaRealtimeClient>(NakamaRealtime))
	{
		Realtime->NotificationReceivedNative.Remove(NotificationHandle);
		if (!MatchmakerTicket.IsEmpty())
		{
			Realtime->RemoveMatchmaker(MatchmakerTicket, []() {}, [](const FNakamaRtError&) {});
		}
		Realtime->Disconnect();
	}
	NotificationHandle.Reset();
	MatchmakerTicket.Reset();
	NakamaRealtime = nullptr;
	NakamaSession = nullptr;
	NakamaClient = nullptr;
}

#else // !WITH_TOWER_NAKAMA

void UTowerMatchmaker::FindMatch(const FString&, int32, const FString&, bool, const FString&)
{
	Fail(TEXT("TowerGame was built without the Nakama plugin; add nakama-unreal to the project's Plugins folder and rebuild"));
}

void UTowerMatchmaker::Cancel()
{
}

#endif // WITH_TOWER_NAKAMA
