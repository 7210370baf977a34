#include "TowerAsyncActions.h"

#include "TowerClientSubsystem.h"
#include "TowerGameModule.h"
#include "TowerMatchmaker.h"
#include "TowerSettings.h"
#include "TowerWorldContext.h"

// --- Tower Login (Nakama) ---

UTowerLoginAction* UTowerLoginAction::TowerLogin(UObject* WorldContextObject, const FString& DeviceId)
{
	UTowerLoginAction* Action = NewObject<UTowerLoginAction>();
	Action->WorldContext = WorldContextObject;
	Action->RequestedDeviceId = DeviceId;
	Action->RegisterWithGameInstance(WorldContextObject);
	return Action;
}

void UTowerLoginAction::Activate()
{
	LoginMatchmaker = UTowerMatchmaker::CreateTowerMatchmaker(WorldContext.Get());
	LoginMatchmaker->OnLoggedIn.AddDynamic(this, &UTowerLoginAction::HandleLoggedIn);
	LoginMatchmaker->OnFailed.AddDynamic(this, &UTowerLoginAction::HandleFailed);
	LoginMatchmaker->Login(RequestedDeviceId);
}

void UTowerLoginAction::Cancel()
{
	if (HasAnyFlags(RF_BeginDestroyed))
	{
		// The garbage collector destroys this node (UCancellableAsyncAction::BeginDestroy
		// calls Cancel): the matchmaker may be unreachable in the same pass; never call it.
		Super::Cancel();
		return;
	}
	UTowerMatchmaker* Pending = LoginMatchmaker;
	Finish();
	if (Pending != nullptr)
	{
		Pending->Cancel(); // its login callback is ignored from now on
	}
	Super::Cancel();
}

void UTowerLoginAction::HandleLoggedIn(const FString& UserId)
{
	UTowerMatchmaker* Done = LoginMatchmaker;
	Finish();
	OnSuccess.Broadcast(Done, UserId, FString());
}

void UTowerLoginAction::HandleFailed(const FString& Reason)
{
	Finish();
	OnFailure.Broadcast(nullptr, FString(), Reason);
}

void UTowerLoginAction::Finish()
{
	if (LoginMatchmaker != nullptr)
	{
		LoginMatchmaker->OnLoggedIn.RemoveDynamic(this, &UTowerLoginAction::HandleLoggedIn);
		LoginMatchmaker->OnFailed.RemoveDynamic(this, &UTowerLoginAction::HandleFailed);
	}
	LoginMatchmaker = nullptr;
	SetReadyToDestroy();
}

// --- Tower Find Match ---

UTowerFindMatchAction* UTowerFindMatchAction::TowerFindMatch(UObject* WorldContextObject, UTowerMatchmaker* Matchmaker)
{
	UTowerFindMatchAction* Action = NewObject<UTowerFindMatchAction>();
	Action->SearchMatchmaker = Matchmaker;
	Action->RegisterWithGameInstance(WorldContextObject);
	return Action;
}

void UTowerFindMatchAction::Activate()
{
	if (SearchMatchmaker == nullptr)
	{
		FailNow(TEXT("Tower Find Match needs the matchmaker from Tower Login"));
		return;
	}
	if (SearchMatchmaker->IsFindingMatch())
	{
		// Another search (another node, or FindMatch) is under way on this matchmaker: only
		// this node fails; the one waiting keeps waiting, its ticket still queued.
		FailNow(TEXT("this matchmaker is already waiting for a match (another Tower Find Match or FindMatch); ")
			TEXT("cancel that one first"));
		return;
	}
	SearchMatchmaker->OnMatchFound.AddDynamic(this, &UTowerFindMatchAction::HandleMatchFound);
	SearchMatchmaker->OnFailed.AddDynamic(this, &UTowerFindMatchAction::HandleFailed);
	SearchMatchmaker->OnSearchEnded.AddDynamic(this, &UTowerFindMatchAction::HandleSearchEnded);
	// This node only finds; Tower Connect (Match) connects. The choice is for this search
	// only: the matchmaker's own bConnectOnMatch stays as the game set it.
	FString Refused;
	if (!SearchMatchmaker->StartFindMatch(/*bConnect=*/false, Refused))
	{
		FailNow(Refused);
	}
}

void UTowerFindMatchAction::Cancel()
{
	if (HasAnyFlags(RF_BeginDestroyed))
	{
		// Run by the garbage collector: the matchmaker and its Nakama socket may be
		// unreachable in the same pass; never call them.
		Super::Cancel();
		return;
	}
	UTowerMatchmaker* Searching = SearchMatchmaker;
	Finish();
	if (Searching != nullptr)
	{
		Searching->CancelFindMatch();
	}
	Super::Cancel();
}

void UTowerFindMatchAction::HandleMatchFound(const FTowerMatchTicket& Match)
{
	Finish();
	OnSuccess.Broadcast(Match, FString());
}

void UTowerFindMatchAction::HandleFailed(const FString& Reason)
{
	FailNow(Reason);
}

void UTowerFindMatchAction::HandleSearchEnded(const FString& Reason)
{
	FailNow(Reason); // ended from elsewhere: this node's own Cancel unbinds before it cancels
}

void UTowerFindMatchAction::FailNow(const FString& Reason)
{
	Finish();
	OnFailure.Broadcast(FTowerMatchTicket(), Reason);
}

void UTowerFindMatchAction::Finish()
{
	if (SearchMatchmaker != nullptr)
	{
		SearchMatchmaker->OnMatchFound.RemoveDynamic(this, &UTowerFindMatchAction::HandleMatchFound);
		SearchMatchmaker->OnFailed.RemoveDynamic(this, &UTowerFindMatchAction::HandleFailed);
		SearchMatchmaker->OnSearchEnded.RemoveDynamic(this, &UTowerFindMatchAction::HandleSearchEnded);
	}
	SearchMatchmaker = nullptr;
	SetReadyToDestroy();
}

// --- Tower Connect ---

UTowerConnectAction* UTowerConnectAction::TowerConnectDev(UObject* WorldContextObject)
{
	UTowerConnectAction* Action = NewObject<UTowerConnectAction>();
	Action->WorldContext = WorldContextObject;
	Action->RegisterWithGameInstance(WorldContextObject);
	return Action;
}

UTowerConnectAction* UTowerConnectAction::TowerConnectWithMatch(UObject* WorldContextObject, const FTowerMatchTicket& Match)
{
	UTowerConnectAction* Action = TowerConnectDev(WorldContextObject);
	Action->MatchTicket = Match;
	Action->bWithMatch = true;
	return Action;
}

void UTowerConnectAction::Activate()
{
	UTowerClientSubsystem* Client = TowerClientOf(WorldContext.Get());
	if (Client == nullptr)
	{
		FailNow(TEXT("Tower Connect needs a game instance (call it from a level or actor Blueprint while playing)"));
		return;
	}
	Tower = Client;
	TimeoutSeconds = FMath::Max(UTowerSettings::Get()->ConnectTimeoutSeconds, 1.0f);
	TimeoutHandle = FTSTicker::GetCoreTicker().AddTicker(
		FTickerDelegate::CreateUObject(this, &UTowerConnectAction::HandleTimeout), TimeoutSeconds);
	Client->OnConnected.AddDynamic(this, &UTowerConnectAction::HandleConnected);
	Client->OnFloorAdmitted.AddDynamic(this, &UTowerConnectAction::HandleAdmitted);
	Client->OnError.AddDynamic(this, &UTowerConnectAction::HandleError);
	Client->OnDisconnected.AddDynamic(this, &UTowerConnectAction::HandleDisconnected);
	// A refused start broadcasts OnError, which ends this action through HandleError.
	if (bWithMatch)
	{
		Client->ConnectWithTicket(MatchTicket);
	}
	else
	{
		Client->ConnectDevFromSettings();
	}
}

void UTowerConnectAction::Cancel()
{
	if (HasAnyFlags(RF_BeginDestroyed))
	{
		// Run by the garbage collector: the subsystem may be going in the same pass.
		FTSTicker::GetCoreTicker().RemoveTicker(TimeoutHandle);
		TimeoutHandle.Reset();
		Super::Cancel();
		return;
	}
	if (!bDone)
	{
		Finish();
		DropAttempt();
	}
	Super::Cancel();
}

bool UTowerConnectAction::HandleTimeout(float /*DeltaTime*/)
{
	TimeoutHandle.Reset(); // returning false removes the ticker
	if (!bDone)
	{
		// Drop the attempt before the pin: a listener may start a new one.
		Finish();
		DropAttempt();
		const FString Message = FString::Printf(TEXT("no floor from the Tower server within %.0f s (Project Settings > ")
			TEXT("Tower > Connect Timeout Seconds); is it running at that address, and is the fingerprint right?"),
			TimeoutSeconds);
		OnFailure.Broadcast(0, 0, FVector::ZeroVector, Message);
	}
	return false;
}

void UTowerConnectAction::DropAttempt()
{
	UTowerClientSubsystem* Client = Tower.Get();
	if (Client != nullptr && !Client->IsOnFloor())
	{
		UE_LOG(LogTowerNet, Log, TEXT("Tower Connect: dropping the connection attempt"));
		Client->Disconnect();
	}
}

void UTowerConnectAction::HandleConnected(int32 EntityId)
{
	ConnectedEntityId = EntityId;
}

void UTowerConnectAction::HandleAdmitted(int32 Floor, FVector SpawnLocation)
{
	if (bDone)
	{
		return;
	}
	Finish();
	OnSuccess.Broadcast(ConnectedEntityId, Floor, SpawnLocation, FString());
}

void UTowerConnectAction::HandleError(const FString& Message)
{
	FailNow(Message);
}

void UTowerConnectAction::HandleDisconnected(const FString& Reason)
{
	FailNow(FString::Printf(TEXT("disconnected before entering a floor: %s"), *Reason));
}

void UTowerConnectAction::FailNow(const FString& Message)
{
	if (bDone)
	{
		return;
	}
	Finish();
	OnFailure.Broadcast(0, 0, FVector::ZeroVector, Message);
}

void UTowerConnectAction::Finish()
{
	bDone = true;
	if (TimeoutHandle.IsValid())
	{
		FTSTicker::GetCoreTicker().RemoveTicker(TimeoutHandle);
		TimeoutHandle.Reset();
	}
	if (UTowerClientSubsystem* Client = Tower.Get())
	{
		Client->OnConnected.RemoveDynamic(this, &UTowerConnectAction::HandleConnected);
		Client->OnFloorAdmitted.RemoveDynamic(this, &UTowerConnectAction::HandleAdmitted);
		Client->OnError.RemoveDynamic(this, &UTowerConnectAction::HandleError);
		Client->OnDisconnected.RemoveDynamic(this, &UTowerConnectAction::HandleDisconnected);
	}
	SetReadyToDestroy();
}
