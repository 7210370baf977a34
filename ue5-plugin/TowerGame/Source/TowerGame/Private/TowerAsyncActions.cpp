#include "TowerAsyncActions.h"

#include "TowerClientSubsystem.h"
#include "TowerMatchmaker.h"
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
		Finish();
		OnFailure.Broadcast(FTowerMatchTicket(), TEXT("Tower Find Match needs the matchmaker from Tower Login"));
		return;
	}
	SearchMatchmaker->OnMatchFound.AddDynamic(this, &UTowerFindMatchAction::HandleMatchFound);
	SearchMatchmaker->OnFailed.AddDynamic(this, &UTowerFindMatchAction::HandleFailed);
	// This node only finds; Tower Connect (Match) connects. The choice is for this search
	// only: the matchmaker's own bConnectOnMatch stays as the game set it.
	SearchMatchmaker->StartFindMatch(/*bConnect=*/false);
}

void UTowerFindMatchAction::Cancel()
{
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
	Finish();
	OnFailure.Broadcast(FTowerMatchTicket(), Reason);
}

void UTowerFindMatchAction::Finish()
{
	if (SearchMatchmaker != nullptr)
	{
		SearchMatchmaker->OnMatchFound.RemoveDynamic(this, &UTowerFindMatchAction::HandleMatchFound);
		SearchMatchmaker->OnFailed.RemoveDynamic(this, &UTowerFindMatchAction::HandleFailed);
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
	if (UTowerClientSubsystem* Client = Tower.Get())
	{
		Client->OnConnected.RemoveDynamic(this, &UTowerConnectAction::HandleConnected);
		Client->OnFloorAdmitted.RemoveDynamic(this, &UTowerConnectAction::HandleAdmitted);
		Client->OnError.RemoveDynamic(this, &UTowerConnectAction::HandleError);
		Client->OnDisconnected.RemoveDynamic(this, &UTowerConnectAction::HandleDisconnected);
	}
	SetReadyToDestroy();
}
