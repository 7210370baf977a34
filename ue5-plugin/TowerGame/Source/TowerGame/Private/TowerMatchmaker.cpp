#include "TowerMatchmaker.h"

#include "Engine/Engine.h"
#include "Engine/GameInstance.h"
#include "Engine/World.h"
#include "TowerClientSubsystem.h"
#include "TowerCoreIncludes.h"
#include "TowerGameModule.h"
#include "TowerPieIdentity.h"
#include "TowerSettings.h"
#include "TowerWorldContext.h"
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
	UTowerMatchmaker* Matchmaker = NewObject<UTowerMatchmaker>(Outer);
	const UTowerSettings* Settings = UTowerSettings::Get();
	Matchmaker->MinPlayers = Settings->MinPlayers;
	Matchmaker->MaxPlayers = Settings->MaxPlayers;
	return Matchmaker;
}

bool UTowerMatchmaker::ParseMatchReady(const FString& Content, FTowerMatchTicket& OutTicket, FString& OutError)
{
	const tower::Result<tower::MatchTicket> Parsed = tower::parse_match_ready(TowerToStd(Content));
	if (!Parsed.ok())
	{
		OutError = TowerToFString(Parsed.error().message);
		return false;
	}
	OutTicket.ServerAddress = TowerToFString(Parsed.value().server_address);
	OutTicket.Fingerprint = TowerToFString(Parsed.value().fingerprint);
	OutTicket.Ticket = TowerToFString(Parsed.value().ticket);
	return true;
}

void UTowerMatchmaker::Fail(const FString& Reason)
{
	UE_LOG(LogTowerNakama, Warning, TEXT("Tower matchmaker: %s"), *Reason);
	bFinding = false;
	OnFailed.Broadcast(Reason);
}

bool UTowerMatchmaker::FindMatch(FString& OutError)
{
	return StartFindMatch(bConnectOnMatch, OutError);
}

void UTowerMatchmaker::EndSearch(const FString& Reason)
{
	if (!bFinding)
	{
		return;
	}
	bFinding = false;
	UE_LOG(LogTowerNakama, Log, TEXT("Tower matchmaker: search ended: %s"), *Reason);
	OnSearchEnded.Broadcast(Reason);
}

void UTowerMatchmaker::HandleNotification(int32 Code, const FString& Content)
{
	const tower::NotificationKind Kind = tower::classify_notification(Code);
	if (Kind == tower::NotificationKind::Other)
	{
		return; // some other notification (friend request, guild...): not ours
	}
	if (!bFinding)
	{
		// Matched while the search was being cancelled: the ticket is not wanted any more.
		UE_LOG(LogTowerNakama, Log, TEXT("Tower matchmaker: ignoring a match notification (code %d): no search under way"), Code);
		return;
	}
	if (Kind == tower::NotificationKind::NoGameServer)
	{
		MatchmakerTicket.Reset(); // Nakama removed us from the pool when it matched
		Fail(TEXT("matched, but no game server is available right now; try again later"));
		return;
	}
	FTowerMatchTicket Match;
	FString Error;
	if (!ParseMatchReady(Content, Match, Error))
	{
		Fail(Error);
		return;
	}
	MatchmakerTicket.Reset(); // Nakama removed us from the matchmaker when it matched
	bFinding = false;
	OnMatchFound.Broadcast(Match);
	if (!bConnectThisSearch)
	{
		return;
	}
	UGameInstance* GameInstance = Cast<UGameInstance>(GetOuter());
	UTowerClientSubsystem* Tower = GameInstance != nullptr ? GameInstance->GetSubsystem<UTowerClientSubsystem>() : nullptr;
	if (Tower == nullptr)
	{
		Fail(TEXT("no UTowerClientSubsystem: create the matchmaker with CreateTowerMatchmaker from a world context"));
		return;
	}
	OnStatus.Broadcast(FString::Printf(TEXT("connecting to %s"), *Match.ServerAddress));
	Tower->ConnectWithTicket(Match);
}

void UTowerMatchmaker::Login(const FString& DeviceId)
{
	const UTowerSettings* Settings = UTowerSettings::Get();
	FString Effective = DeviceId;
	if (Effective.IsEmpty())
	{
		const int32 PieInstance = TowerPieInstanceOf(Cast<UGameInstance>(GetOuter()));
		Effective = TowerToFString(tower_glue::WithPieSuffix(
			TowerToStd(Settings->GetEffectiveDeviceId()), PieInstance, tower_glue::MaxDeviceIdBytes));
	}
	LoginTo(Settings->NakamaHost, Settings->NakamaPort, Settings->NakamaServerKey, Settings->bNakamaUseSSL, Effective);
}

void UTowerMatchmaker::BeginDestroy()
{
	// Inside a GC pass the Nakama objects may be unreachable and destroyed in this same
	// pass: never call them here, and broadcast nothing (the listeners may be going too).
	++Generation;
	++SearchGeneration;
	bFinding = false;
	NotificationHandle.Reset();
	MatchmakerTicket.Reset();
	UserId.Reset();
	NakamaRealtime = nullptr;
	NakamaSession = nullptr;
	NakamaClient = nullptr;
	Super::BeginDestroy();
}

bool UTowerMatchmaker::StartFindMatch(bool bConnect, FString& OutError)
{
	// Refusals are returned, never broadcast: OnFailed's listeners (a Tower Find Match node
	// among them) belong to the search already under way, which goes on.
	if (bFinding)
	{
		OutError = TEXT("already waiting for a match; cancel that search (CancelFindMatch) first");
		return false;
	}
	if (bOfflineForTests)
	{
		bFinding = true;
		bConnectThisSearch = bConnect;
		return true;
	}
	return StartNakamaSearch(bConnect, OutError);
}

#if WITH_TOWER_NAKAMA

namespace
{
	// A Nakama object we may still call: not being destroyed, and not found unreachable by
	// a garbage-collection pass under way (it would be destroyed in that same pass).
	template <class T>
	T* Usable(UObject* Object)
	{
		T* Typed = Cast<T>(Object);
		return Typed != nullptr && !Typed->HasAnyFlags(RF_BeginDestroyed | RF_FinishDestroyed) &&
				!Typed->IsUnreachable()
			? Typed
			: nullptr;
	}
}

void UTowerMatchmaker::LoginTo(const FString& Host, int32 Port, const FString& ServerKey, bool bUseSSL, const FString& DeviceId)
{
	Cancel();
	const std::string Problem = tower::device_id_problem(TowerToStd(DeviceId));
	if (!Problem.empty())
	{
		Fail(TowerToFString(Problem));
		return;
	}
	if (Host.IsEmpty() || Port < 1 || Port > 65535)
	{
		Fail(FString::Printf(TEXT("Nakama address '%s:%d' is not usable (Project Settings > Tower > Nakama)"), *Host, Port));
		return;
	}
	UNakamaClient* Client = UNakamaClient::CreateDefaultClient(ServerKey, Host, Port, bUseSSL, /*EnableDebug=*/false);
	if (Client == nullptr)
	{
		Fail(TEXT("could not create the Nakama client"));
		return;
	}
	NakamaClient = Client;
	OnStatus.Broadcast(TEXT("logging in to Nakama"));

	// The callbacks run on the game thread; a weak pointer guards against this object
	// being collected while a request is in flight, the generation against a Cancel.
	TWeakObjectPtr<UTowerMatchmaker> WeakThis(this);
	const uint32 Started = Generation;
	Client->AuthenticateDevice(DeviceId, TOptional<bool>(true), TOptional<FString>(), TMap<FString, FString>(),
		[WeakThis, Started](UNakamaSession* Session)
		{
			UTowerMatchmaker* Self = WeakThis.Get();
			if (Self == nullptr || Self->Generation != Started)
			{
				return;
			}
			Self->NakamaSession = Session;
			Self->UserId = Session != nullptr ? Session->GetUserId() : FString();
			Self->OnLoggedIn.Broadcast(Self->UserId);
		},
		[WeakThis, Started](const FNakamaError& Error)
		{
			UTowerMatchmaker* Self = WeakThis.Get();
			if (Self != nullptr && Self->Generation == Started)
			{
				Self->Fail(FString::Printf(TEXT("Nakama login failed: %s"), *Error.Message));
			}
		});
}

bool UTowerMatchmaker::StartNakamaSearch(bool bConnect, FString& OutError)
{
	UNakamaClient* Client = Usable<UNakamaClient>(NakamaClient);
	UNakamaSession* Session = Cast<UNakamaSession>(NakamaSession);
	if (Client == nullptr || Session == nullptr)
	{
		OutError = TEXT("log in first (Login, or the Tower Login node)");
		return false;
	}
	bFinding = true;
	bConnectThisSearch = bConnect;
	UNakamaRealtimeClient* Previous = Usable<UNakamaRealtimeClient>(NakamaRealtime);
	if (Previous != nullptr && Previous->IsConnected())
	{
		QueueInMatchmaker();
		return true;
	}
	if (Previous != nullptr)
	{
		// A socket that dropped (or is still connecting): unhook it and destroy it before its
		// replacement, so a late notification on it reaches nobody and it holds no
		// connection. Disconnect() would do nothing: nakama-unreal only disconnects a
		// connected socket.
		Previous->NotificationReceivedNative.Remove(NotificationHandle);
		Previous->Destroy();
	}
	NotificationHandle.Reset();
	NakamaRealtime = nullptr;
	UNakamaRealtimeClient* Realtime = Client->SetupRealtimeClient();
	if (Realtime == nullptr)
	{
		Fail(TEXT("could not create the Nakama realtime client"));
		return true; // started, and failed through OnFailed like any later step
	}
	NakamaRealtime = Realtime;
	NotificationHandle = Realtime->NotificationReceivedNative.AddWeakLambda(this,
		[this](const FNakamaNotificationList& List)
		{
			for (const FNakamaNotification& Notification : List.Notifications)
			{
				HandleNotification(Notification.Code, Notification.Content);
			}
		});
	OnStatus.Broadcast(TEXT("opening the Nakama socket"));
	TWeakObjectPtr<UTowerMatchmaker> WeakThis(this);
	const uint32 Started = Generation;
	const uint32 Search = SearchGeneration;
	Realtime->Connect(Session, /*bCreateStatus=*/true,
		[WeakThis, Started, Search]()
		{
			UTowerMatchmaker* Self = WeakThis.Get();
			if (Self != nullptr && Self->Generation == Started && Self->SearchGeneration == Search)
			{
				Self->QueueInMatchmaker();
			}
		},
		[WeakThis, Started, Search](const FNakamaRtError& Error)
		{
			UTowerMatchmaker* Self = WeakThis.Get();
			if (Self != nullptr && Self->Generation == Started && Self->SearchGeneration == Search)
			{
				Self->Fail(FString::Printf(TEXT("Nakama socket failed: %s"), *Error.Message));
			}
		});
	return true;
}

void UTowerMatchmaker::QueueInMatchmaker()
{
	UNakamaRealtimeClient* Realtime = Usable<UNakamaRealtimeClient>(NakamaRealtime);
	if (Realtime == nullptr)
	{
		Fail(TEXT("the Nakama socket is gone"));
		return;
	}
	TOptional<int32> MinCount = FMath::Max(MinPlayers, 1);
	TOptional<int32> MaxCount = FMath::Max(MaxPlayers, FMath::Max(MinPlayers, 1));
	TWeakObjectPtr<UTowerMatchmaker> WeakThis(this);
	const uint32 Started = Generation;
	const uint32 Search = SearchGeneration;
	Realtime->AddMatchmaker(MinCount, MaxCount, TOptional<FString>(TEXT("*")),
		TMap<FString, FString>(), TMap<FString, double>(), TOptional<int32>(),
		[WeakThis, Started, Search](const FNakamaMatchmakerTicket& Ticket)
		{
			UTowerMatchmaker* Self = WeakThis.Get();
			if (Self == nullptr || Self->Generation != Started)
			{
				return; // logged out: Cancel closed the socket, and the ticket with it
			}
			if (Self->SearchGeneration != Search)
			{
				// The search was cancelled while the ticket was being issued: leave the pool.
				if (UNakamaRealtimeClient* Open = Usable<UNakamaRealtimeClient>(Self->NakamaRealtime))
				{
					Open->RemoveMatchmaker(Ticket.TicketId, []() {}, [](const FNakamaRtError&) {});
				}
				return;
			}
			Self->MatchmakerTicket = Ticket.TicketId;
			Self->OnStatus.Broadcast(TEXT("waiting for a match"));
		},
		[WeakThis, Started, Search](const FNakamaRtError& Error)
		{
			UTowerMatchmaker* Self = WeakThis.Get();
			if (Self != nullptr && Self->Generation == Started && Self->SearchGeneration == Search)
			{
				Self->Fail(FString::Printf(TEXT("joining the matchmaker failed: %s"), *Error.Message));
			}
		});
}

void UTowerMatchmaker::CancelFindMatch()
{
	++SearchGeneration;
	// Not queued yet (no ticket): the ticket's callback removes it when it arrives.
	if (!MatchmakerTicket.IsEmpty())
	{
		if (UNakamaRealtimeClient* Realtime = Usable<UNakamaRealtimeClient>(NakamaRealtime))
		{
			Realtime->RemoveMatchmaker(MatchmakerTicket, []() {}, [](const FNakamaRtError&) {});
		}
		MatchmakerTicket.Reset();
	}
	EndSearch(TEXT("cancelled (CancelFindMatch)"));
}

void UTowerMatchmaker::Cancel()
{
	++Generation;
	++SearchGeneration;
	if (UNakamaRealtimeClient* Realtime = Usable<UNakamaRealtimeClient>(NakamaRealtime))
	{
		Realtime->NotificationReceivedNative.Remove(NotificationHandle);
		if (!MatchmakerTicket.IsEmpty())
		{
			Realtime->RemoveMatchmaker(MatchmakerTicket, []() {}, [](const FNakamaRtError&) {});
		}
		if (Realtime->IsConnected())
		{
			Realtime->Disconnect(); // a polite close, after the RemoveMatchmaker above
		}
		else
		{
			Realtime->Destroy(); // still connecting (Disconnect would do nothing) or dropped
		}
	}
	NotificationHandle.Reset();
	MatchmakerTicket.Reset();
	UserId.Reset();
	NakamaRealtime = nullptr;
	NakamaSession = nullptr;
	NakamaClient = nullptr;
	EndSearch(TEXT("cancelled: the matchmaker logged out (Cancel, or a new login)"));
}

#else // !WITH_TOWER_NAKAMA

namespace
{
	FString NakamaMissingReason()
	{
#if TOWER_NAKAMA_TOO_OLD
		return TEXT("the project's nakama-unreal plugin is older than 2.11.0, which Tower needs; update it and rebuild");
#else
		return TEXT("TowerGame was built without the Nakama plugin; add nakama-unreal 2.11.0 or newer to the project's Plugins folder and rebuild");
#endif
	}
}

void UTowerMatchmaker::LoginTo(const FString&, int32, const FString&, bool, const FString& DeviceId)
{
	const std::string Problem = tower::device_id_problem(TowerToStd(DeviceId));
	Fail(Problem.empty() ? NakamaMissingReason() : TowerToFString(Problem));
}

bool UTowerMatchmaker::StartNakamaSearch(bool /*bConnect*/, FString& OutError)
{
	OutError = NakamaMissingReason();
	return false;
}

void UTowerMatchmaker::QueueInMatchmaker()
{
}

void UTowerMatchmaker::CancelFindMatch()
{
	++SearchGeneration;
	EndSearch(TEXT("cancelled (CancelFindMatch)"));
}

void UTowerMatchmaker::Cancel()
{
	++Generation;
	++SearchGeneration;
	MatchmakerTicket.Reset();
	UserId.Reset();
	EndSearch(TEXT("cancelled: the matchmaker logged out (Cancel, or a new login)"));
}

#endif // WITH_TOWER_NAKAMA
