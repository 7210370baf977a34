#include "TowerClientSubsystem.h"

#include "HAL/PlatformTime.h"
#include "TowerCoreIncludes.h"
#include "TowerFloorComponent.h"
#include "TowerGameModule.h"
#include "TowerPieIdentity.h"
#include "TowerSettings.h"
#include "TowerWorldContext.h"

namespace
{
	// Events handled per frame at most: a burst never stalls a frame; the rest wait.
	constexpr int32 MaxEventsPerTick = 64;

	FTowerEntity ToTowerEntity(const TowerEntity& Raw, const UTowerClientSubsystem& Tower,
		const std::vector<tower::RosterEntry>* Roster)
	{
		FTowerEntity Entity;
		Entity.Id = static_cast<int32>(Raw.id);
		Entity.Kind = static_cast<ETowerEntityKind>(Raw.kind);
		Entity.Tile = FVector2D(Raw.x, Raw.y);
		Entity.Location = Tower.TileToWorld(Entity.Tile);
		Entity.Health = Raw.health;
		if (const tower::RosterEntry* Who = Roster ? tower::find_roster_entry(*Roster, Raw.id) : nullptr)
		{
			Entity.Name = TowerToFString(Who->name);
			Entity.Guild = TowerToFString(Who->guild);
		}
		Entity.Flags = Raw.flags;
		return Entity;
	}
}

UTowerClientSubsystem::UTowerClientSubsystem() = default;

UTowerClientSubsystem::~UTowerClientSubsystem() = default;

void UTowerClientSubsystem::Initialize(FSubsystemCollectionBase& Collection)
{
	Super::Initialize(Collection);
	// The core ticker runs before the world ticks, paused or not: components read this
	// frame's sample. Cheap when idle.
	TickerHandle = FTSTicker::GetCoreTicker().AddTicker(
		FTickerDelegate::CreateUObject(this, &UTowerClientSubsystem::TickTower), 0.0f);
}

void UTowerClientSubsystem::Deinitialize()
{
	// Stop ticking first: a resume scheduled before teardown must never connect after it.
	FTSTicker::GetCoreTicker().RemoveTicker(TickerHandle);
	TickerHandle.Reset();
	CancelResume();
	ResumeToken.clear();
	// No entity events during teardown: their listeners are going away too. Freeing an
	// open connection does not block: the library closes it in the background.
	Tracker.reset();
	ReleaseClient();
	Super::Deinitialize();
}

bool UTowerClientSubsystem::ConnectDev(const FString& Address, const FString& Fingerprint, const FString& Name)
{
	if (Name.IsEmpty())
	{
		FailWith(TEXT("Tower: a development login needs a name"));
		return false;
	}
	return Connect(Address, Fingerprint, Name, FString());
}

bool UTowerClientSubsystem::ConnectDevFromSettings()
{
	const UTowerSettings* Settings = UTowerSettings::Get();
	FString Address;
	FString Error;
	if (!Settings->GetServerAddress(Address, Error))
	{
		FailWith(Error);
		return false;
	}
	const int32 PieInstance = TowerPieInstanceOf(GetGameInstance());
	const FString Name = TowerToFString(
		tower_glue::WithPieSuffix(TowerToStd(Settings->GetEffectiveDevName()), PieInstance, tower_glue::MaxDevNameBytes));
	return ConnectDev(Address, Settings->GetEffectiveFingerprint(), Name);
}

bool UTowerClientSubsystem::ConnectWithTicket(const FTowerMatchTicket& Match)
{
	if (Match.Ticket.IsEmpty())
	{
		FailWith(TEXT("Tower: the match ticket is empty"));
		return false;
	}
	return Connect(Match.ServerAddress, Match.Fingerprint, FString(), Match.Ticket);
}

bool UTowerClientSubsystem::Connect(const FString& Address, const FString& Fingerprint, const FString& DevName,
	const FString& Ticket)
{
	// A login the game asked for: a fresh session, a fresh retry count.
	CancelResume();
	ResumeToken.clear();
	Planner = std::make_shared<tower::ReconnectPlanner>();
	return ConnectSession(Address, Fingerprint, DevName, Ticket, ResumeToken);
}

bool UTowerClientSubsystem::ConnectSession(const FString& Address, const FString& Fingerprint, const FString& DevName,
	const FString& Ticket, const std::vector<uint8>& Token)
{
	if (!FTowerGameModule::IsLibraryReady())
	{
		FailWith(FTowerGameModule::GetLibraryError());
		return false;
	}
	if (!tower::normalize_fingerprint(TowerToStd(Fingerprint)))
	{
		FailWith(TEXT("Tower: the server fingerprint must be 64 hex digits (':' separators allowed); the dev server writes it to tower-server-cert/cert.sha256"));
		return false;
	}
	ReleaseClient();

	tower::ConnectOptions Options;
	Options.server_address = TowerToStd(Address);
	Options.cert_fingerprint = TowerToStd(Fingerprint);
	Options.dev_name = TowerToStd(DevName);
	Options.ticket = TowerToStd(Ticket);
	Options.resume_token = Token;
	tower::Result<tower::Client> Connected = tower::Client::connect(Options);
	if (!Connected.ok())
	{
		FailWith(TowerToFString(Connected.error().message));
		return false;
	}
	Client = std::make_shared<tower::Client>(std::move(Connected).value());
	Tracker = std::make_shared<tower::EntityTracker>();
	ServerAddress = Address;
	SessionFingerprint = Fingerprint;
	SessionDevName = DevName;
	SessionTicket = Ticket;
	ConnectedAtSeconds = FPlatformTime::Seconds();
	UE_LOG(LogTowerNet, Log, TEXT("Tower: connecting to %s%s"), *Address, Token.empty() ? TEXT("") : TEXT(" (resume)"));
	return true;
}

void UTowerClientSubsystem::CancelResume()
{
	ResumeAtSeconds = -1.0;
}

void UTowerClientSubsystem::OnConnectionOver(uint8 Reason, const FString& Message)
{
	ReleaseClient();
	if (!Planner)
	{
		Planner = std::make_shared<tower::ReconnectPlanner>();
	}
	const tower::ReconnectDecision Decision = Planner->on_disconnect(Reason, !ResumeToken.empty(), FMath::FRand());
	if (Decision.action == tower::ReconnectAction::Resume)
	{
		ResumeAtSeconds = FPlatformTime::Seconds() + Decision.delay_seconds;
	}
	else
	{
		ResumeToken.clear(); // refused, or useless on another server
	}
	UE_LOG(LogTowerNet, Log, TEXT("Tower: disconnected (reason %u): %s; next: %s, attempt %u, in %.1f s"), static_cast<uint32>(Reason), *Message,
		UTF8_TO_TCHAR(tower::reconnect_action_name(Decision.action)), Decision.attempt, Decision.delay_seconds);
	OnDisconnected.Broadcast(Message);
	OnReconnectDecision.Broadcast(static_cast<ETowerReconnectAction>(Decision.action),
		static_cast<float>(Decision.delay_seconds), static_cast<int32>(Decision.attempt), static_cast<int32>(Reason));
}

void UTowerClientSubsystem::Disconnect()
{
	CancelResume();
	if (Client)
	{
		bClosing = true;
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
	OutLocation = TileToWorld(FVector2D(Position.value().x, Position.value().y));
	return true;
}

bool UTowerClientSubsystem::FindEntity(int32 Id, FTowerEntity& OutEntity) const
{
	const int32* Index = EntityIndex.Find(Id);
	if (Index == nullptr || !Entities.IsValidIndex(*Index))
	{
		return false;
	}
	OutEntity = Entities[*Index];
	return true;
}

TArray<FTowerRosterEntry> UTowerClientSubsystem::GetRoster() const
{
	TArray<FTowerRosterEntry> Out;
	if (!Roster)
	{
		return Out;
	}
	Out.Reserve(static_cast<int32>(Roster->size()));
	for (const tower::RosterEntry& Entry : *Roster)
	{
		FTowerRosterEntry& Row = Out.AddDefaulted_GetRef();
		Row.EntityId = static_cast<int32>(Entry.entity_id);
		Row.Name = TowerToFString(Entry.name);
		Row.Guild = TowerToFString(Entry.guild);
	}
	return Out;
}

bool UTowerClientSubsystem::FindRosterEntry(int32 EntityId, FTowerRosterEntry& OutEntry) const
{
	const tower::RosterEntry* Found =
		Roster && EntityId > 0 ? tower::find_roster_entry(*Roster, static_cast<uint32>(EntityId)) : nullptr;
	if (Found == nullptr)
	{
		return false;
	}
	OutEntry.EntityId = EntityId;
	OutEntry.Name = TowerToFString(Found->name);
	OutEntry.Guild = TowerToFString(Found->guild);
	return true;
}

FVector UTowerClientSubsystem::TileToWorld(FVector2D Tile) const
{
	if (const UTowerFloorComponent* Floor = ActiveFloor.Get())
	{
		return Floor->TileToWorld(Tile);
	}
	const tower::LocalPoint Local =
		tower::make_tile_space(UTowerSettings::Get()->TileSizeCm).to_local(Tile.X, Tile.Y);
	return FVector(Local.x, Local.y, Local.z);
}

FVector2D UTowerClientSubsystem::WorldToTile(FVector Location) const
{
	if (const UTowerFloorComponent* Floor = ActiveFloor.Get())
	{
		return Floor->WorldToTile(Location);
	}
	const tower::TilePoint Tile = tower::make_tile_space(UTowerSettings::Get()->TileSizeCm)
		.to_tiles(tower::LocalPoint{Location.X, Location.Y, Location.Z});
	return FVector2D(Tile.x, Tile.y);
}

void UTowerClientSubsystem::SetActiveFloor(UTowerFloorComponent* Floor)
{
	ActiveFloor = Floor;
}

FString UTowerClientSubsystem::GetNetStatsLine() const
{
	tower::NetStats Stats;
	if (!Client)
	{
		Stats.phase = tower::ConnectionPhase::Idle;
	}
	else if (bClosing)
	{
		Stats.phase = tower::ConnectionPhase::Closing;
	}
	else if (bOnFloor)
	{
		Stats.phase = tower::ConnectionPhase::OnFloor;
	}
	else if (bWelcomed)
	{
		Stats.phase = tower::ConnectionPhase::Welcomed;
	}
	else
	{
		Stats.phase = tower::ConnectionPhase::Connecting;
	}
	const double Now = FPlatformTime::Seconds();
	Stats.server_address = TowerToStd(ServerAddress);
	Stats.entity_id = static_cast<uint32>(LocalEntityId);
	Stats.seed = Seed;
	Stats.floor = FloorNumber;
	Stats.events_total = EventsTotal;
	Stats.entity_events_total = EntityEventsTotal;
	Stats.entities_in_view = static_cast<uint32>(Entities.Num());
	Stats.connected_seconds = ConnectedAtSeconds >= 0.0 ? Now - ConnectedAtSeconds : -1.0;
	Stats.seconds_since_event = LastEventSeconds >= 0.0 ? Now - LastEventSeconds : -1.0;
	return TowerToFString(tower::format_net_stats(Stats));
}

bool UTowerClientSubsystem::TickTower(float /*DeltaTime*/)
{
	TRACE_CPUPROFILER_EVENT_SCOPE(UTowerClientSubsystem::TickTower);
	if (!Client)
	{
		if (IsResumePending() && FPlatformTime::Seconds() >= ResumeAtSeconds)
		{
			ResumeAtSeconds = -1.0;
			const std::vector<uint8> Token = ResumeToken;
			if (!ConnectSession(ServerAddress, SessionFingerprint, SessionDevName, SessionTicket, Token))
			{
				// Refused before any network activity (OnError said why): nothing to retry.
				OnReconnectDecision.Broadcast(ETowerReconnectAction::GiveUp, 0.0f, 0, -1);
			}
		}
		return true;
	}
	DrainEvents();
	if (Client)
	{
		SampleEntities();
	}
	return true; // keep ticking until Deinitialize removes the ticker
}

void UTowerClientSubsystem::DrainEvents()
{
	TRACE_CPUPROFILER_EVENT_SCOPE(UTowerClientSubsystem::DrainEvents);
	for (int32 I = 0; I < MaxEventsPerTick && Client; ++I)
	{
		tower::Result<std::optional<TowerEvent>> Polled = Client->poll_event();
		if (!Polled.ok())
		{
			const FString Message = TowerToFString(Polled.error().message);
			FailWith(Message);
			OnConnectionOver(TOWER_DISCONNECT_PROTOCOL_ERROR, Message);
			return;
		}
		if (!Polled.value())
		{
			return;
		}
		const TowerEvent& Event = *Polled.value();
		++EventsTotal;
		LastEventSeconds = FPlatformTime::Seconds();
		switch (Event.kind)
		{
		case TOWER_EVENT_KIND_WELCOME:
		{
			bWelcomed = true;
			LocalEntityId = static_cast<int32>(Event.entity_id);
			if (Planner)
			{
				Planner->on_welcome();
			}
			const tower::Result<std::vector<std::uint8_t>> Token = Client->resume_token();
			if (Token.ok())
			{
				ResumeToken = Token.value();
			}
			OnConnected.Broadcast(LocalEntityId);
			break;
		}
		case TOWER_EVENT_KIND_FLOOR_ENTERED:
		{
			bOnFloor = false;
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
			Seed = Event.seed;
			FloorNumber = Event.floor;
			ClearEntities(); // a new floor: everything seen on the old one is gone
			OnFloorReady.Broadcast(static_cast<int64>(Event.seed), static_cast<int32>(Event.floor));
			break;
		}
		case TOWER_EVENT_KIND_FLOOR_ADMITTED:
			bOnFloor = true;
			OnFloorAdmitted.Broadcast(static_cast<int32>(Event.floor), TileToWorld(FVector2D(Event.spawn_x, Event.spawn_y)));
			break;
		case TOWER_EVENT_KIND_SERVER_ERROR:
			FailWith(FString::Printf(TEXT("Tower server error %d: %s"), Event.error_code,
				*TowerToFString(tower::event_message(Event))));
			break;
		case TOWER_EVENT_KIND_DISCONNECTED:
		{
			// A player's own Disconnect() gives LEFT, so no retry follows it.
			OnConnectionOver(Event.disconnect_reason, TowerToFString(tower::event_message(Event)));
			return;
		}
		case TOWER_EVENT_KIND_ROSTER:
		{
			tower::Result<std::vector<tower::RosterEntry>> Entries = Client->roster();
			if (Entries.ok())
			{
				Roster = std::make_shared<std::vector<tower::RosterEntry>>(std::move(Entries).value());
				OnRosterChanged.Broadcast();
			}
			break;
		}
		default:
			break; // CONNECTED: nothing to do here
		}
	}
}

void UTowerClientSubsystem::SampleEntities()
{
	const tower::Result<std::vector<TowerEntity>> Sampled = Client->entities();
	if (!Sampled.ok() || !Tracker)
	{
		return; // NOT_READY before the first snapshot: keep what we have
	}
	const std::optional<std::uint32_t> Own =
		LocalEntityId != 0 ? std::optional<std::uint32_t>(static_cast<std::uint32_t>(LocalEntityId)) : std::nullopt;
	const std::vector<tower::EntityEvent> Events = Tracker->update(Sampled.value(), Own);

	Entities.Reset();
	EntityIndex.Reset();
	Entities.Reserve(static_cast<int32>(Tracker->known().size()));
	for (const TowerEntity& Raw : Sampled.value())
	{
		if (!Own || Raw.id != *Own)
		{
			EntityIndex.Add(static_cast<int32>(Raw.id), Entities.Add(ToTowerEntity(Raw, *this, Roster.get())));
		}
	}
	EntityEventsTotal += Events.size();
	for (const tower::EntityEvent& Event : Events)
	{
		const FTowerEntity Entity = ToTowerEntity(Event.entity, *this, Roster.get());
		switch (Event.type)
		{
		case tower::EntityEventType::Appeared:
			OnEntityAppeared.Broadcast(Entity);
			break;
		case tower::EntityEventType::Changed:
			OnEntityChanged.Broadcast(Entity, static_cast<int32>(Event.changes));
			break;
		case tower::EntityEventType::Removed:
			OnEntityRemoved.Broadcast(Entity);
			break;
		}
	}
}

void UTowerClientSubsystem::ClearEntities()
{
	Entities.Reset();
	EntityIndex.Reset();
	if (!Tracker)
	{
		return;
	}
	for (const tower::EntityEvent& Event : Tracker->clear())
	{
		OnEntityRemoved.Broadcast(ToTowerEntity(Event.entity, *this, Roster.get()));
	}
}

void UTowerClientSubsystem::FailWith(const FString& Message)
{
	UE_LOG(LogTowerNet, Warning, TEXT("%s"), *Message);
	OnError.Broadcast(Message);
}

void UTowerClientSubsystem::ReleaseClient()
{
	ClearEntities();
	// The library closes an open connection in the background: this never blocks.
	Client.reset();
	CurrentFloor.reset();
	Tracker.reset();
	Roster.reset();
	bWelcomed = false;
	bOnFloor = false;
	bClosing = false;
	LocalEntityId = 0;
	Seed = 0;
	FloorNumber = 0;
	ConnectedAtSeconds = -1.0;
	LastEventSeconds = -1.0;
}
