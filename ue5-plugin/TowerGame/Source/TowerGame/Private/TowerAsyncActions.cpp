#include "TowerAsyncActions.h"

#include "Engine/Engine.h"
#include "Engine/GameInstance.h"
#include "Engine/World.h"
#include "TowerClientSubsystem.h"
#include "TowerMatchmaker.h"

namespace
{
	UTowerClientSubsystem* AsyncTowerFor(const UObject* WorldContextObject)
	{
		const UWorld* World = GEngine != nullptr && WorldContextObject != nullptr
			? GEngine->GetWorldFromContextObject(WorldContextObject, EGetWorldErrorMode::ReturnNull)
			: nullptr;
		UGameInstance* GameInstance = World != nullptr ? World->GetGameInstance() : nullptr;
		return GameInstance != nullptr ? GameInstance->GetSubsystem<UTowerClientSubsystem>() : nullptr;
	}
}

// --- Tower Login (Nakama) ---

UTowerLoginAction* UTowerLoginAction::TowerLogin(UObject* WorldContextObject, const FString& DeviceId)
{
	UTowerLoginAction* Action = NewObject<UTowerLoginAction>();
	Action->WorldContext = WorldContextObject;
	Action->DeviceId = DeviceId;
	Action->RegisterWithGameInstance(WorldContextObject);
	return Action;
}

void UTowerLoginAction::Activate()
{
	Matchmaker = UTowerMatchmaker::CreateTowerMatchmaker(WorldContext.Get());
	Matchmaker->OnLoggedIn.AddDynamic(this, &UTowerLoginAction::HandleLoggedIn);
	Matchmaker->OnFailed.AddDynamic(this, &UTowerLoginAction::HandleFailed);
	Matchmaker->Login(DeviceId);
}

void UTowerLoginAction::HandleLoggedIn(const FString& UserId)
{
	UTowerMatchmaker* Done = Matchmaker;
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
	if (Matchmaker != nullptr)
	{
		Matchmaker->OnLoggedIn.RemoveDynamic(this, &UTowerLoginAction::HandleLoggedIn);
		Matchmaker->OnFailed.RemoveDynamic(this, &UTowerLoginAction::HandleFailed);
	}
	SetReadyToDestroy();
}

// --- Tower Find Match ---

UTowerFindMatchAction* UTowerFindMatchAction::TowerFindMatch(UObject* WorldContextObject, UTowerMatchmaker* InMatchmaker)
{
	UTowerFindMatchAction* Action = NewObject<UTowerFindMatchAction>();
	Action->Matchmaker = InMatchmaker;
	Action->RegisterWithGameInstance(WorldContextObject);
	return Action;
}

void UTowerFindMatchAction::Activate()
{
	if (Matchmaker == nullptr)
	{
		Finish();
		OnFailure.Broadcast(FTowerMatchTicket(), TEXT("Tower Find Match needs the matchmaker from Tower Login"));
		return;
	}
	Matchmaker->bConnectOnMatch = false; // this node only finds; Tower Connect (Match) connects
	Matchmaker->OnMatchFound.AddDynamic(this, &UTowerFindMatchAction::HandleMatchFound);
	Matchmaker->OnFailed.AddDynamic(this, &UTowerFindMatchAction::HandleFailed);
	Matchmaker->FindMatch();
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
	if (Matchmaker != nullptr)
	{
		Matchmaker->OnMatchFound.RemoveDynamic(this, &UTowerFindMatchAction::HandleMatchFound);
		Matchmaker->OnFailed.RemoveDynamic(this, &UTowerFindMatchAction::HandleFailed);
	}
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

UTowerConnectAction* UTowerConnectAction::TowerConnectWithMatch(UObject* WorldContextObject, const FTowerMatchTicket& InMatch)
{
	UTowerConnectAction* Action = TowerConnectDev(WorldContextObject);
	Action->Match = InMatch;
	Action->bWithMatch = true;
	return Action;
}

void UTowerConnectAction::Activate()
{
	UTowerClientSubsystem* Client = AsyncTowerFor(WorldContext.Get());
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
		Client->ConnectWithTicket(Match);
	}
	else
	{
		Client->ConnectDevFromSettings();
	}
}

void UTowerConnectAction::HandleConnected(int32 InEntityId)
{
	EntityId = InEntityId;
}

void UTowerConnectAction::HandleAdmitted(int32 Floor, FVector SpawnLocation)
{
	if (bDone)
	{
		return;
	}
	Finish();
	OnSuccess.Broadcast(EntityId, Floor, SpawnLocation, FString());
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
