#include "TowerClientSubsystem.h"

#include "TowerCore/TowerClient.h"
#include "TowerCore/TowerFfi.h"
#include "TowerGameModule.h"

namespace
{
	// Events handled per frame at most: a burst never stalls a frame; the rest wait.
	constexpr int32 MaxEventsPerTick = 64;

	FString TowerToFString(const std::string& S)
	{
		return FString(UTF8_TO_TCHAR(S.c_str()));
	}

	std::string TowerToStd(const FString& S)
	{
		return std::string(TCHAR_TO_UTF8(*S));
	}
}

UTowerClientSubsystem::UTowerClientSubsystem() = default;

UTowerClientSubsystem::~UTowerClientSubsystem() = default;

void UTowerClientSubsystem::Deinitialize()
{
	ReleaseClient();
	Super::Deinitialize();
}

TStatId UTowerClientSubsystem::GetStatId() const
{
	RETURN_QUICK_DECLARE_CYCLE_STAT(UTowerClientSubsystem, STATGROUP_Tickables);
}

ETickableTickType UTowerClientSubsystem::GetTickableTickType() const
{
	// The class default object must never tick; real instances always do (cheap when idle).
	return IsTemplate() ? ETickableTickType::Never : ETickableTickType::Always;
}

bool UTowerClientSubsystem::ConnectDev(const FString& Address, const FString& Fingerprint, const FString& Name)
{
	return Connect(Address, Fingerprint, Name, FString(), FString());
}

bool UTowerClientSubsystem::ConnectWithTicket(const FString& Address, const FString& Fingerprint,
	const FString& Ticket, const FString& SessionToken)
{
	return Connect(Address, Fingerprint, FString(), Ticket, SessionToken);
}

bool UTowerClientSubsystem::Connect(const FString& Address, const FString& Fingerprint, const FString& DevName,
	const FString& Ticket, const FString& SessionToken)
{
	if (!FTowerGameModule::IsLibraryReady())
	{
		FailWith(FTowerGameModule::GetLibraryError());
		return false;
	}
	ReleaseClient();

	tower::ConnectOptions Options;
	Options.server_address = TowerToStd(Address);
	Options.cert_fingerprint = TowerToStd(Fingerprint);
	Options.dev_name = TowerToStd(DevName);
	Options.ticket = TowerToStd(Ticket);
	Options.session_token = TowerToStd(SessionToken);
	tower::Result<tower::Client> Connected = tower::Client::connect(Options);
	if (!Connected.ok())
	{
		FailWith(TowerToFString(Connected.error().message));
		return false;
	}
	Client = std::make_shared<tower::Client>(std::move(Connected).value());
	UE_LOG(LogTower, Log, TEXT("Tower: connecting to %s"), *Address);
	return true;
}

void UTowerClientSubsystem::Disconnect()
{
	if (Client)
	{
		(void)Client->disconnect(); // DISCONNECTED arrives through Tick, then the handle is freed
	}
}

void UTowerClientSubsystem::SendInput(FVector2D Move, bool bAttack)
{
	if (!Client)
	{
		return;
	}
	const tower::Status Sent = Client->send_input(static_cast<float>(Move.X), static_cast<float>(Move.Y), bAttack);
	if (!Sent.ok() && Sent.error().status != TOWER_STATUS_CLOSED)
	{
		FailWith(TowerToFString(Sent.error().message));
	}
}

bool UTowerClientSubsystem::GetPredictedLocation(FVector& OutLocation) const
{
	if (!Client)
	{
		return false;
	}
	const tower::Result<tower::TilePosition> Position = Client->predicted_position();
	if (!Position.ok())
	{
		return false;
	}
	OutLocation = TilesToWorld(Position.value().x, Position.value().y);
	return true;
}

bool UTowerClientSubsystem::FindEntity(int32 Id, FTowerEntity& OutEntity) const
{
	for (const FTowerEntity& Entity : Entities)
	{
		if (Entity.Id == Id)
		{
			OutEntity = Entity;
			return true;
		}
	}
	return false;
}

void UTowerClientSubsystem::Tick(float DeltaTime)
{
	if (!Client)
	{
		return;
	}
	DrainEvents();
	if (Client)
	{
		SampleEntities();
	}
}

void UTowerClientSubsystem::DrainEvents()
{
	for (int32 I = 0; I < MaxEventsPerTick && Client; ++I)
	{
		tower::Result<std::optional<TowerEvent>> Polled = Client->poll_event();
		if (!Polled.ok())
		{
			FailWith(TowerToFString(Polled.error().message));
			ReleaseClient();
			return;
		}
		if (!Polled.value())
		{
			return;
		}
		const TowerEvent& Event = *Polled.value();
		switch (Event.kind)
		{
		case TOWER_EVENT_KIND_WELCOME:
			bWelcomed = true;
			LocalPlayerId = static_cast<int32>(Event.player_id);
			OnConnected.Broadcast(LocalPlayerId);
			break;
		case TOWER_EVENT_KIND_FLOOR_ENTERED:
		{
			if (Event.hash_matches == 0)
			{
				// The server will refuse the proof; say why from our side too.
				FailWith(FString::Printf(TEXT("Tower: floor %u of seed %llu regenerated with a different hash than the server's (generator %u here, %u there)"),
					Event.floor, static_cast<unsigned long long>(Event.seed), tower_generator_version(), Event.generator_version));
				break;
			}
			tower::Result<tower::Floor> Floor = Client->current_floor();
			if (!Floor.ok())
			{
				FailWith(TowerToFString(Floor.error().message));
				break;
			}
			CurrentFloor = std::make_shared<tower::Floor>(std::move(Floor).value());
			OnFloorReady.Broadcast(static_cast<int64>(Event.seed), static_cast<int32>(Event.floor));
			break;
		}
		case TOWER_EVENT_KIND_FLOOR_ADMITTED:
			OnFloorAdmitted.Broadcast(static_cast<int32>(Event.floor), TilesToWorld(Event.spawn_x, Event.spawn_y));
			break;
		case TOWER_EVENT_KIND_SERVER_ERROR:
			FailWith(FString::Printf(TEXT("Tower server error %d: %s"), Event.error_code,
				*TowerToFString(tower::event_message(Event))));
			break;
		case TOWER_EVENT_KIND_DISCONNECTED:
		{
			const FString Reason = TowerToFString(tower::event_message(Event));
			UE_LOG(LogTower, Log, TEXT("Tower: disconnected: %s"), *Reason);
			ReleaseClient();
			OnDisconnected.Broadcast(Reason);
			return;
		}
		default:
			break; // CONNECTED, ROSTER: nothing to do here
		}
	}
}

void UTowerClientSubsystem::SampleEntities()
{
	const tower::Result<std::vector<TowerEntity>> Sampled = Client->entities();
	Entities.Reset();
	if (!Sampled.ok())
	{
		return;
	}
	Entities.Reserve(static_cast<int32>(Sampled.value().size()));
	for (const TowerEntity& Raw : Sampled.value())
	{
		FTowerEntity& Entity = Entities.AddDefaulted_GetRef();
		Entity.Id = static_cast<int32>(Raw.id);
		Entity.Kind = Raw.kind;
		Entity.Location = TilesToWorld(Raw.x, Raw.y);
		Entity.Health = Raw.health;
	}
}

void UTowerClientSubsystem::FailWith(const FString& Message)
{
	UE_LOG(LogTower, Warning, TEXT("%s"), *Message);
	OnError.Broadcast(Message);
}

void UTowerClientSubsystem::ReleaseClient()
{
	// Freeing an open connection waits (at most 300 ms) for the Leave to go out.
	Client.reset();
	CurrentFloor.reset();
	Entities.Reset();
	bWelcomed = false;
	LocalPlayerId = 0;
}

FVector UTowerClientSubsystem::TilesToWorld(float X, float Y) const
{
	return FloorOrigin + FVector(X * TileSizeCm, Y * TileSizeCm, 0.0);
}
