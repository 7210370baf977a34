// The game instance's Tower connection: a tower::Session (the engine-free core: connect,
// resume policy, event draining, roster, proved floor, entities in view; tested against a
// real server by ue5-plugin/core) ticked on the game thread by a core ticker registered in
// Initialize and removed in Deinitialize. Every call into the library is non-blocking (its
// network runtime runs on its own threads). This class only turns the session's events into
// delegates and its state into Unreal types.
#pragma once

#include "CoreMinimal.h"
#include "Containers/Ticker.h"
#include "Subsystems/GameInstanceSubsystem.h"
#include "TowerTypes.h"
#include <memory>
#include "TowerClientSubsystem.generated.h"

class UTowerFloorComponent;

namespace tower
{
	class Floor;
	class Session;
}

DECLARE_DYNAMIC_MULTICAST_DELEGATE_OneParam(FOnTowerConnected, int32, EntityId);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_TwoParams(FOnTowerFloorReady, int64, Seed, int32, Floor);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_TwoParams(FOnTowerFloorAdmitted, int32, Floor, FVector, SpawnLocation);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_OneParam(FOnTowerError, const FString&, Message);
DECLARE_DYNAMIC_MULTICAST_DELEGATE(FOnTowerRosterChanged);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_OneParam(FOnTowerDisconnected, const FString&, Reason);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_FourParams(FOnTowerReconnectDecision, ETowerReconnectAction, Action, float, DelaySeconds, int32, Attempt, int32, DisconnectReason);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_OneParam(FOnTowerEntityAppeared, const FTowerEntity&, Entity);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_TwoParams(FOnTowerEntityChanged, const FTowerEntity&, Entity, int32, Changes);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_OneParam(FOnTowerEntityRemoved, const FTowerEntity&, Entity);

UCLASS()
class TOWERGAME_API UTowerClientSubsystem : public UGameInstanceSubsystem
{
	GENERATED_BODY()

public:
	UTowerClientSubsystem();
	virtual ~UTowerClientSubsystem() override;

	// USubsystem: Initialize starts the ticker; Deinitialize stops it, cancels a pending
	// resume and frees the connection, so nothing reconnects once the game instance is gone.
	virtual void Initialize(FSubsystemCollectionBase& Collection) override;
	virtual void Deinitialize() override;

	// Starts connecting with a development login (servers in dev auth mode only).
	// Address is "host:port" (host name or IP literal); Fingerprint the server
	// certificate's SHA-256 in hex. Returns false (and broadcasts OnError) when the
	// arguments are rejected at once; network failures arrive later through OnError /
	// OnDisconnected.
	UFUNCTION(BlueprintCallable, Category = "Tower|Client")
	bool ConnectDev(const FString& Address, const FString& Fingerprint, const FString& Name);

	// ConnectDev with the server, fingerprint and name from Project Settings > Tower (and
	// the per-user overrides of Editor Preferences > Tower). In Play In Editor, clients
	// after the first log in as "<name>-pieN", so they do not replace each other.
	UFUNCTION(BlueprintCallable, Category = "Tower|Client")
	bool ConnectDevFromSettings();

	// Starts connecting with a Nakama match ticket (from UTowerMatchmaker).
	UFUNCTION(BlueprintCallable, Category = "Tower|Client")
	bool ConnectWithTicket(const FTowerMatchTicket& Match);

	// Leaves politely; OnDisconnected follows. The handle is freed after DISCONNECTED.
	// Also cancels a pending automatic resume.
	UFUNCTION(BlueprintCallable, Category = "Tower|Client")
	void Disconnect();

	// Cancels a resume scheduled after a lost connection (OnReconnectDecision: Resume).
	UFUNCTION(BlueprintCallable, Category = "Tower|Client")
	void CancelResume();

	// A resume is scheduled and will connect once its delay is over.
	UFUNCTION(BlueprintPure, Category = "Tower|Client")
	bool IsResumePending() const;

	// Move is the wish direction in world X/Y, each axis in [-1, 1].
	UFUNCTION(BlueprintCallable, Category = "Tower|Client")
	void SendInput(FVector2D Move, bool bAttack);

	// Logged in (Welcome received) and not yet disconnected.
	UFUNCTION(BlueprintPure, Category = "Tower|Client")
	bool IsConnected() const;

	// Admitted to a floor: snapshots flow and the prediction runs.
	UFUNCTION(BlueprintPure, Category = "Tower|Client")
	bool IsOnFloor() const;

	UFUNCTION(BlueprintPure, Category = "Tower|Client")
	int32 GetLocalEntityId() const;

	// The own player's predicted location (prediction + reconciliation in the library).
	UFUNCTION(BlueprintPure, Category = "Tower|Client")
	bool GetPredictedLocation(FVector& OutLocation) const;

	// Entities in view interpolated at this frame's render time (sampled once per tick),
	// without the local player.
	UFUNCTION(BlueprintPure, Category = "Tower|Client")
	TArray<FTowerEntity> GetEntities() const { return Entities; }

	// The entity with this id in this frame's sample (an index lookup, not a scan: every
	// UTowerEntityComponent calls it each tick).
	UFUNCTION(BlueprintPure, Category = "Tower|Client")
	bool FindEntity(int32 Id, FTowerEntity& OutEntity) const;

	// Who is on the current floor (names and guilds from the server's roster), sorted by
	// entity id; empty before the first roster. OnRosterChanged says when it changes.
	UFUNCTION(BlueprintPure, Category = "Tower|Client")
	TArray<FTowerRosterEntry> GetRoster() const;

	UFUNCTION(BlueprintPure, Category = "Tower|Client")
	bool FindRosterEntry(int32 EntityId, FTowerRosterEntry& OutEntry) const;

	// The tile <-> world mapping: Project Settings' tile size, placed by the active
	// floor's transform (the world origin when no floor is active).
	UFUNCTION(BlueprintPure, Category = "Tower|Client")
	FVector TileToWorld(FVector2D Tile) const;

	UFUNCTION(BlueprintPure, Category = "Tower|Client")
	FVector2D WorldToTile(FVector Location) const;

	// The floor component that places server positions in the world. A floor component
	// that builds in a game world makes itself active; call this to pick another.
	UFUNCTION(BlueprintCallable, Category = "Tower|Client")
	void SetActiveFloor(UTowerFloorComponent* Floor);

	UFUNCTION(BlueprintPure, Category = "Tower|Client")
	UTowerFloorComponent* GetActiveFloor() const { return ActiveFloor.Get(); }

	// The floor the server sent last, regenerated and proved by the library (C++ only;
	// Blueprints use OnFloorReady + UTowerFloorComponent::BuildFloor with the same seed).
	const tower::Floor* GetCurrentFloor() const;

	// One line for logs and the `Tower.NetStats` console command.
	UFUNCTION(BlueprintPure, Category = "Tower|Client")
	FString GetNetStatsLine() const;

	UPROPERTY(BlueprintAssignable, Category = "Tower|Client")
	FOnTowerConnected OnConnected;

	// The library regenerated the floor from the server's seed and its hash matched; the
	// proof is on its way to the server. Build the floor now.
	UPROPERTY(BlueprintAssignable, Category = "Tower|Client")
	FOnTowerFloorReady OnFloorReady;

	UPROPERTY(BlueprintAssignable, Category = "Tower|Client")
	FOnTowerFloorAdmitted OnFloorAdmitted;

	UPROPERTY(BlueprintAssignable, Category = "Tower|Client")
	FOnTowerError OnError;

	// The floor's roster changed (who is here, their names and guilds); entities sampled
	// from now on carry the new Name and Guild.
	UPROPERTY(BlueprintAssignable, Category = "Tower|Client")
	FOnTowerRosterChanged OnRosterChanged;

	UPROPERTY(BlueprintAssignable, Category = "Tower|Client")
	FOnTowerDisconnected OnDisconnected;

	// After every OnDisconnected: what to do about it (tower::ReconnectPlanner, from the
	// TOWER_DISCONNECT_* reason, with bounded retries and backoff). Resume happens by
	// itself after DelaySeconds; Requeue (matchmaker), LoginAgain and GiveUp are the
	// game's to follow. Attempt counts the tries since the last Welcome (0 for GiveUp);
	// DisconnectReason is the TOWER_DISCONNECT_* value, or -1 when a scheduled resume was
	// refused before it reached the network (OnError says why).
	UPROPERTY(BlueprintAssignable, Category = "Tower|Client")
	FOnTowerReconnectDecision OnReconnectDecision;

	// An entity came into view (or the connection started with it in view).
	UPROPERTY(BlueprintAssignable, Category = "Tower|Entities")
	FOnTowerEntityAppeared OnEntityAppeared;

	// An entity moved or its health, flags or kind changed; Changes is a bit set of
	// ETowerEntityChange.
	UPROPERTY(BlueprintAssignable, Category = "Tower|Entities")
	FOnTowerEntityChanged OnEntityChanged;

	// An entity left view, or the connection ended.
	UPROPERTY(BlueprintAssignable, Category = "Tower|Entities")
	FOnTowerEntityRemoved OnEntityRemoved;

private:
	bool Connect(const FString& Address, const FString& Fingerprint, const FString& DevName, const FString& Ticket);
	bool TickTower(float DeltaTime);
	void UpdateEntities();
	void FailWith(const FString& Message);

	// shared_ptr, not unique_ptr: its deleter is bound where the object is made, so the
	// UHT-generated code that sees only the forward declaration never needs the type.
	// Made in Initialize, shut down in Deinitialize.
	std::shared_ptr<tower::Session> Session;
	TWeakObjectPtr<UTowerFloorComponent> ActiveFloor;
	// The session's entities at the last tick, in Unreal types, and id -> index.
	TArray<FTowerEntity> Entities;
	TMap<int32, int32> EntityIndex;
	FTSTicker::FDelegateHandle TickerHandle;
};
