#include "TowerClientSubsystem.h"

#include "HAL/PlatformTime.h"
#include "ProfilingDebugging/CpuProfilerTrace.h"
#include "TowerCoreIncludes.h"
#include "TowerFloorComponent.h"
#include "TowerGameModule.h"
#include "TowerPieIdentity.h"
#include "TowerSettings.h"
#include "TowerWorldContext.h"

namespace
{
	FTowerEntity ToTowerEntity(const TowerEntity& Raw, const UTowerClientSubsystem& Tower, const tower::Session& Session)
	{
		FTowerEntity Entity;
		Entity.Id = static_cast<int32>(Raw.id);
		Entity.Kind = static_cast<ETowerEntityKind>(Raw.kind);
		Entity.Tile = FVector2D(Raw.x, Raw.y);
		Entity.Location = Tower.TileToWorld(Entity.Tile);
		Entity.Health = Raw.health;
		if (const tower::RosterEntry* Who = Session.roster_entry(Raw.id))
		{
			Entity.Name = TowerToFString(Who->name);
			Entity.Guild = TowerToFString(Who->guild);
		}
		Entity.Flags = Raw.flags;
		return Entity;
	}

	FTowerRosterEntry ToRosterEntry(const tower::RosterEntry& Entry)
	{
		FTowerRosterEntry Row;
		Row.EntityId = static_cast<int32>(Entry.entity_id);
		Row.Name = TowerToFString(Entry.name);
		Row.Guild = TowerToFString(Entry.guild);
		return Row;
	}
}

UTowerClientSubsystem::UTowerClientSubsystem() = default;

UTowerClientSubsystem::~UTowerClientSubsystem() = default;

void UTowerClientSubsystem::Initialize(FSubsystemCollectionBase& Collection)
{
	Super::Initialize(Collection);
	tower::SessionOptions Options;
	Options.jitter_seed = FPlatformTime::Cycles64(); // spreads reconnects of clients dropped together
	Session = std::make_shared<tower::Session>(Options);
	// The core ticker runs before the world ticks, paused or not: components read this
	// frame's sample. Cheap when idle.
	TickerHandle = FTSTicker::GetCoreTicker().AddTicker(
		FTickerDelegate::CreateUObject(this, &UTowerClientSubsystem::TickTower), 0.0f);
}

void UTowerClientSubsystem::Deinitialize()
{
	// Stop ticking, then shut the session down and drop it: a resume scheduled before
	// teardown can never connect after it, every call from now on finds no session ("torn
	// down"), and a tick under way (Deinitialize run by one of its listeners) stops
	// broadcasting at its next event. Freeing an open connection does not block: the
	// library closes it in the background.
	FTSTicker::GetCoreTicker().RemoveTicker(TickerHandle);
	TickerHandle.Reset();
	if (Session)
	{
		Session->shutdown();
		Session.reset();
	}
	Entities.Reset();
	EntityIndex.Reset();
	Super::Deinitialize();
}

bool UTowerClientSubsystem::ConnectDev(const FString& Address, const FString& Fingerprint, const FString& Name)
{
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
	// The library may not be loaded (delay-loaded on Win64 and Mac): calling into it would crash.
	if (!FTowerGameModule::IsLibraryReady())
	{
		FailWith(FTowerGameModule::GetLibraryError());
		return false;
	}
	if (!Session)
	{
		FailWith(TEXT("Tower: the client subsystem is not initialized (or already torn down)"));
		return false;
	}
	tower::SessionLogin Login;
	Login.server_address = TowerToStd(Address);
	Login.cert_fingerprint = TowerToStd(Fingerprint);
	Login.dev_name = TowerToStd(DevName);
	Login.ticket = TowerToStd(Ticket);
	const tower::Status Started = Session->connect(Login, FPlatformTime::Seconds());
	if (!Started.ok())
	{
		FailWith(TowerToFString(Started.error().message));
		return false;
	}
	UE_LOG(LogTowerNet, Log, TEXT("Tower: connecting to %s"), *Address);
	return true;
}

void UTowerClientSubsystem::CancelResume()
{
	if (Session)
	{
		Session->cancel_resume();
	}
}

bool UTowerClientSubsystem::IsResumePending() const
{
	return Session && Session->resume_pending();
}

void UTowerClientSubsystem::Disconnect()
{
	if (!Session)
	{
		return;
	}
	const tower::Status Left = Session->leave(); // DISCONNECTED arrives through the ticker
	if (!Left.ok())
	{
		FailWith(TowerToFString(Left.error().message));
	}
}

void UTowerClientSubsystem::SendInput(FVector2D Move, bool bAttack)
{
	if (!Session)
	{
		return;
	}
	const tower::Status Sent = Session->send_input(static_cast<float>(Move.X), static_cast<float>(Move.Y), bAttack);
	if (!Sent.ok())
	{
		FailWith(TowerToFString(Sent.error().message));
	}
}

bool UTowerClientSubsystem::IsConnected() const
{
	const tower::ConnectionPhase Phase = Session ? Session->phase() : tower::ConnectionPhase::Idle;
	return Phase == tower::ConnectionPhase::Welcomed || Phase == tower::ConnectionPhase::OnFloor;
}

bool UTowerClientSubsystem::IsOnFloor() const
{
	return Session && Session->phase() == tower::ConnectionPhase::OnFloor;
}

int32 UTowerClientSubsystem::GetLocalEntityId() const
{
	return Session ? static_cast<int32>(Session->local_entity_id()) : 0;
}

const tower::Floor* UTowerClientSubsystem::GetCurrentFloor() const
{
	return Session ? Session->current_floor() : nullptr;
}

bool UTowerClientSubsystem::GetPredictedLocation(FVector& OutLocation) const
{
	if (!Session)
	{
		return false;
	}
	const tower::Result<tower::TilePosition> Position = Session->predicted_position();
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
	if (!Session)
	{
		return Out;
	}
	Out.Reserve(static_cast<int32>(Session->roster().size()));
	for (const tower::RosterEntry& Entry : Session->roster())
	{
		Out.Add(ToRosterEntry(Entry));
	}
	return Out;
}

bool UTowerClientSubsystem::FindRosterEntry(int32 EntityId, FTowerRosterEntry& OutEntry) const
{
	const tower::RosterEntry* Found =
		Session && EntityId > 0 ? Session->roster_entry(static_cast<uint32>(EntityId)) : nullptr;
	if (Found == nullptr)
	{
		return false;
	}
	OutEntry = ToRosterEntry(*Found);
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
	if (!Session)
	{
		return TEXT("Tower: no session (the subsystem is torn down)");
	}
	return TowerToFString(tower::format_net_stats(Session->net_stats(FPlatformTime::Seconds())));
}

bool UTowerClientSubsystem::TickTower(float /*DeltaTime*/)
{
	TRACE_CPUPROFILER_EVENT_SCOPE(UTowerClientSubsystem::TickTower);
	if (!Session)
	{
		return true;
	}
	std::vector<tower::SessionEvent> Events;
	{
		TRACE_CPUPROFILER_EVENT_SCOPE(UTowerClientSubsystem::DrainEvents);
		Events = Session->tick(FPlatformTime::Seconds());
	}
	// The Unreal view of the entities first: listeners of the events below read it.
	UpdateEntities();
	// Held for this tick: a listener that tears the game instance down (Deinitialize resets
	// Session) must not destroy the session under the loop; the loop stops at the next event.
	const std::shared_ptr<tower::Session> Ticking = Session;
	for (const tower::SessionEvent& Event : Events)
	{
		if (!Session)
		{
			break; // torn down by a listener of the previous event: broadcast nothing more
		}
		if (const tower::Welcomed* Welcome = std::get_if<tower::Welcomed>(&Event))
		{
			UE_LOG(LogTowerNet, Log, TEXT("Tower: welcomed as entity %u%s"), Welcome->entity_id,
				Welcome->resumed ? TEXT(" (resumed)") : TEXT(""));
			OnConnected.Broadcast(static_cast<int32>(Welcome->entity_id));
		}
		else if (const tower::FloorEntered* Entered = std::get_if<tower::FloorEntered>(&Event))
		{
			OnFloorReady.Broadcast(static_cast<int64>(Entered->seed), static_cast<int32>(Entered->floor));
		}
		else if (const tower::FloorAdmitted* Admitted = std::get_if<tower::FloorAdmitted>(&Event))
		{
			OnFloorAdmitted.Broadcast(static_cast<int32>(Admitted->floor),
				TileToWorld(FVector2D(Admitted->spawn.x, Admitted->spawn.y)));
		}
		else if (std::holds_alternative<tower::RosterChanged>(Event))
		{
			OnRosterChanged.Broadcast();
		}
		else if (const tower::EntityEvent* Changed = std::get_if<tower::EntityEvent>(&Event))
		{
			const FTowerEntity Entity = ToTowerEntity(Changed->entity, *this, *Session);
			switch (Changed->type)
			{
			case tower::EntityEventType::Appeared:
				OnEntityAppeared.Broadcast(Entity);
				break;
			case tower::EntityEventType::Changed:
				OnEntityChanged.Broadcast(Entity, static_cast<int32>(Changed->changes));
				break;
			case tower::EntityEventType::Removed:
				OnEntityRemoved.Broadcast(Entity);
				break;
			}
		}
		else if (const tower::SessionError* Error = std::get_if<tower::SessionError>(&Event))
		{
			FailWith(Error->origin == tower::ErrorOrigin::Server
				? FString::Printf(TEXT("Tower server error %d: %s"), Error->code, *TowerToFString(Error->message))
				: TowerToFString(Error->message));
		}
		else if (const tower::Disconnected* Over = std::get_if<tower::Disconnected>(&Event))
		{
			const FString Message = TowerToFString(Over->message);
			UE_LOG(LogTowerNet, Log, TEXT("Tower: disconnected (reason %u): %s; next: %s, attempt %u, in %.1f s"),
				static_cast<uint32>(Over->reason), *Message, UTF8_TO_TCHAR(tower::reconnect_action_name(Over->next.action)),
				Over->next.attempt, Over->next.delay_seconds);
			OnDisconnected.Broadcast(Message);
			OnReconnectDecision.Broadcast(static_cast<ETowerReconnectAction>(Over->next.action),
				static_cast<float>(Over->next.delay_seconds), static_cast<int32>(Over->next.attempt),
				static_cast<int32>(Over->reason));
		}
		else if (const tower::ResumeStarted* Resume = std::get_if<tower::ResumeStarted>(&Event))
		{
			UE_LOG(LogTowerNet, Log, TEXT("Tower: resuming (attempt %u)"), Resume->attempt);
		}
		else if (const tower::ResumeAbandoned* Abandoned = std::get_if<tower::ResumeAbandoned>(&Event))
		{
			// Refused before any network activity (the message says why): nothing will retry.
			FailWith(TowerToFString(Abandoned->error.message));
			OnReconnectDecision.Broadcast(ETowerReconnectAction::GiveUp, 0.0f, 0, -1);
		}
	}
	return true; // keep ticking until Deinitialize removes the ticker
}

void UTowerClientSubsystem::UpdateEntities()
{
	Entities.Reset();
	EntityIndex.Reset();
	const std::vector<TowerEntity>& Sampled = Session->entities();
	Entities.Reserve(static_cast<int32>(Sampled.size()));
	for (const TowerEntity& Raw : Sampled)
	{
		EntityIndex.Add(static_cast<int32>(Raw.id), Entities.Add(ToTowerEntity(Raw, *this, *Session)));
	}
}

void UTowerClientSubsystem::FailWith(const FString& Message)
{
	UE_LOG(LogTowerNet, Warning, TEXT("%s"), *Message);
	OnError.Broadcast(Message);
}
