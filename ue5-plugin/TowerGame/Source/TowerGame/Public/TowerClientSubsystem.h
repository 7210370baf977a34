// Owns the tower_ffi client handle for the lifetime of the game instance and ticks it on
// the game thread: every call into the library is non-blocking (its network runtime runs
// on its own threads inside the handle).
#pragma once

#include "CoreMinimal.h"
#include "Subsystems/GameInstanceSubsystem.h"
#include "Tickable.h"
#include "TowerTypes.h"
#include <memory>
#include "TowerClientSubsystem.generated.h"

namespace tower
{
	class Client;
	class Floor;
}

DECLARE_DYNAMIC_MULTICAST_DELEGATE_OneParam(FOnTowerConnected, int32, PlayerId);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_TwoParams(FOnTowerFloorReady, int64, Seed, int32, Floor);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_TwoParams(FOnTowerFloorAdmitted, int32, Floor, FVector, SpawnLocation);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_OneParam(FOnTowerError, const FString&, Message);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_OneParam(FOnTowerDisconnected, const FString&, Reason);

UCLASS()
class TOWERGAME_API UTowerClientSubsystem : public UGameInstanceSubsystem, public FTickableGameObject
{
	GENERATED_BODY()

public:
	UTowerClientSubsystem();
	virtual ~UTowerClientSubsystem() override;

	// USubsystem
	virtual void Deinitialize() override;

	// FTickableGameObject
	virtual void Tick(float DeltaTime) override;
	virtual TStatId GetStatId() const override;
	virtual ETickableTickType GetTickableTickType() const override;
	virtual bool IsTickableWhenPaused() const override { return true; }

	// Starts connecting with a development login (servers in dev auth mode only).
	// Address is "host:port"; Fingerprint the server certificate's SHA-256 in hex. Returns
	// false (and broadcasts OnError) when the arguments are rejected at once; network
	// failures arrive later through OnError / OnDisconnected.
	UFUNCTION(BlueprintCallable, Category = "Tower|Client")
	bool ConnectDev(const FString& Address, const FString& Fingerprint, const FString& Name);

	// Starts connecting with a Nakama match ticket and the Nakama session token.
	UFUNCTION(BlueprintCallable, Category = "Tower|Client")
	bool ConnectWithTicket(const FString& Address, const FString& Fingerprint, const FString& Ticket,
		const FString& SessionToken);

	UFUNCTION(BlueprintCallable, Category = "Tower|Client")
	void Disconnect();

	// Move is the wish direction in world X/Y, each axis in [-1, 1].
	UFUNCTION(BlueprintCallable, Category = "Tower|Client")
	void SendInput(FVector2D Move, bool bAttack);

	UFUNCTION(BlueprintPure, Category = "Tower|Client")
	bool IsConnected() const { return Client != nullptr && bWelcomed; }

	UFUNCTION(BlueprintPure, Category = "Tower|Client")
	int32 GetLocalPlayerId() const { return LocalPlayerId; }

	// The own player's predicted location (prediction + reconciliation in the library).
	UFUNCTION(BlueprintPure, Category = "Tower|Client")
	bool GetPredictedLocation(FVector& OutLocation) const;

	// Remote entities interpolated at this frame's render time (sampled once per tick).
	UFUNCTION(BlueprintPure, Category = "Tower|Client")
	TArray<FTowerEntity> GetEntities() const { return Entities; }

	UFUNCTION(BlueprintPure, Category = "Tower|Client")
	bool FindEntity(int32 Id, FTowerEntity& OutEntity) const;

	// The floor the server sent last, regenerated and proved by the library (C++ only;
	// Blueprints use OnFloorReady + UTowerFloorComponent::BuildFloor with the same seed).
	const tower::Floor* GetCurrentFloor() const { return CurrentFloor.get(); }

	// Edge of one tile in centimetres; must match the floor component's TileSizeCm.
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tower|Client")
	float TileSizeCm = 400.0f;

	// World origin of the floor's tile (0, 0) corner (the floor component's location).
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tower|Client")
	FVector FloorOrigin = FVector::ZeroVector;

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

	UPROPERTY(BlueprintAssignable, Category = "Tower|Client")
	FOnTowerDisconnected OnDisconnected;

private:
	bool Connect(const FString& Address, const FString& Fingerprint, const FString& DevName,
		const FString& Ticket, const FString& SessionToken);
	void DrainEvents();
	void SampleEntities();
	void FailWith(const FString& Message);
	void ReleaseClient();
	FVector TilesToWorld(float X, float Y) const;

	// shared_ptr, not unique_ptr: its deleter is bound where the object is made, so the
	// UHT-generated code that sees only the forward declarations never needs the types.
	std::shared_ptr<tower::Client> Client;
	std::shared_ptr<tower::Floor> CurrentFloor;
	TArray<FTowerEntity> Entities;
	int32 LocalPlayerId = 0;
	bool bWelcomed = false;
};
