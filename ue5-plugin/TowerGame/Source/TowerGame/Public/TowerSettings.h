// Project Settings > Plugins > Tower: where the game server and Nakama are, and how floors
// are drawn. Stored in Config/DefaultGame.ini ([/Script/TowerGame.TowerSettings]). The one
// place the tile size is set: the floor, the entities and the subsystem all read it here.
// Editor Preferences > Plugins > Tower (UTowerUserSettings) overrides the development
// server for one user without touching the shared project files.
#pragma once

#include "CoreMinimal.h"
#include "Engine/DeveloperSettings.h"
#include "TowerTypes.h"
#include "UObject/SoftObjectPtr.h"
#include "TowerSettings.generated.h"

class UMaterialInterface;
class UStaticMesh;

UCLASS(Config = Game, DefaultConfig, meta = (DisplayName = "Tower"))
class TOWERGAME_API UTowerSettings : public UDeveloperSettings
{
	GENERATED_BODY()

public:
	UTowerSettings();

	static const UTowerSettings* Get() { return GetDefault<UTowerSettings>(); }

	virtual FName GetCategoryName() const override { return TEXT("Plugins"); }

	// --- Game server (development logins; Nakama matches bring their own address) ---

	// Host name or IP literal of the game server; `cargo run --release -p tower-server`
	// listens on 127.0.0.1:4433.
	UPROPERTY(Config, EditAnywhere, Category = "Game Server")
	FString ServerHost = TEXT("127.0.0.1");

	UPROPERTY(Config, EditAnywhere, Category = "Game Server", meta = (ClampMin = "1", ClampMax = "65535"))
	int32 ServerPort = 4433;

	// SHA-256 of the server certificate: 64 hex digits, ':' separators allowed. The dev
	// server prints it and writes it to tower-server-cert/cert.sha256.
	UPROPERTY(Config, EditAnywhere, Category = "Game Server")
	FString Fingerprint;

	// Name for development logins (servers in dev auth mode only).
	UPROPERTY(Config, EditAnywhere, Category = "Game Server")
	FString DevName = TEXT("UnrealPlayer");

	// Tower Connect fails (and drops the attempt) when the server has not admitted the
	// player to a floor this many seconds after the node started.
	UPROPERTY(Config, EditAnywhere, Category = "Game Server", meta = (ClampMin = "1", ClampMax = "300", Units = "s"))
	float ConnectTimeoutSeconds = 15.0f;

	// --- Nakama ---

	UPROPERTY(Config, EditAnywhere, Category = "Nakama")
	FString NakamaHost = TEXT("127.0.0.1");

	UPROPERTY(Config, EditAnywhere, Category = "Nakama", meta = (ClampMin = "1", ClampMax = "65535"))
	int32 NakamaPort = 7350;

	// Nakama's server key (socket.server_key in its config): public, identifies the game.
	UPROPERTY(Config, EditAnywhere, Category = "Nakama")
	FString NakamaServerKey = TEXT("defaultkey");

	UPROPERTY(Config, EditAnywhere, Category = "Nakama")
	bool bNakamaUseSSL = false;

	// Device id for device login, 10 to 128 bytes. Empty: this machine's login id.
	UPROPERTY(Config, EditAnywhere, Category = "Nakama")
	FString DeviceId;

	UPROPERTY(Config, EditAnywhere, Category = "Nakama", meta = (ClampMin = "1", ClampMax = "64"))
	int32 MinPlayers = 1;

	UPROPERTY(Config, EditAnywhere, Category = "Nakama", meta = (ClampMin = "1", ClampMax = "64"))
	int32 MaxPlayers = 8;

	// --- Floors ---

	// Edge of one tile in centimetres. 400 cm: a one-tile corridor fits a character and a
	// camera; a 64x64 floor is 256 m across.
	UPROPERTY(Config, EditAnywhere, Category = "Floors", meta = (ClampMin = "10.0", ClampMax = "10000.0", Units = "cm"))
	float TileSizeCm = 400.0f;

	UPROPERTY(Config, EditAnywhere, Category = "Floors", meta = (ClampMin = "10.0", Units = "cm"))
	float WallHeightCm = 400.0f;

	UPROPERTY(Config, EditAnywhere, Category = "Floors")
	ETowerFloorRenderMode RenderMode = ETowerFloorRenderMode::ProceduralMesh;

	// Mesh per tile kind (Instanced Meshes mode). Kinds left empty use the engine cube.
	UPROPERTY(Config, EditAnywhere, Category = "Floors|Instanced")
	TMap<ETowerTile, TSoftObjectPtr<UStaticMesh>> TileMeshes;

	UPROPERTY(Config, EditAnywhere, Category = "Floors|Instanced")
	ETowerMeshPivot MeshPivot = ETowerMeshPivot::Centre;

	// X/Y and Z size of the meshes in TileMeshes (100 = Unreal's basic shapes).
	UPROPERTY(Config, EditAnywhere, Category = "Floors|Instanced", meta = (ClampMin = "1.0", Units = "cm"))
	float SourceMeshSizeCm = 100.0f;

	UPROPERTY(Config, EditAnywhere, Category = "Floors|Instanced", meta = (ClampMin = "1.0", Units = "cm"))
	float SourceMeshHeightCm = 100.0f;

	// Material per tile kind (both modes); a floor component's own map overrides it.
	UPROPERTY(Config, EditAnywhere, Category = "Floors")
	TMap<ETowerTile, TSoftObjectPtr<UMaterialInterface>> TileMaterials;

	UPROPERTY(Config, EditAnywhere, Category = "Floors")
	bool bCreateCollision = true;

	// The game server address for development logins ("host:port", the user's override
	// when set), or false with OutError.
	bool GetServerAddress(FString& OutAddress, FString& OutError) const;
	// The fingerprint and dev name for development logins: the user's override when set.
	FString GetEffectiveFingerprint() const;
	FString GetEffectiveDevName() const;
	// The configured device id, or this machine's login id when none is set.
	FString GetEffectiveDeviceId() const;
};

// Editor Preferences > Plugins > Tower: one developer's own game server, stored in
// Saved/Config/<Platform>/EditorPerProjectUserSettings.ini (never committed), so a team can
// share Project Settings while each member runs a local tower-server with its own
// certificate. Empty fields fall back to Project Settings.
UCLASS(Config = EditorPerProjectUserSettings, meta = (DisplayName = "Tower"))
class TOWERGAME_API UTowerUserSettings : public UDeveloperSettings
{
	GENERATED_BODY()

public:
	UTowerUserSettings();

	static const UTowerUserSettings* Get() { return GetDefault<UTowerUserSettings>(); }

	virtual FName GetContainerName() const override { return TEXT("Editor"); }
	virtual FName GetCategoryName() const override { return TEXT("Plugins"); }

	// Use ServerHost and ServerPort below instead of Project Settings' server.
	UPROPERTY(Config, EditAnywhere, Category = "Game Server")
	bool bOverrideServer = false;

	UPROPERTY(Config, EditAnywhere, Category = "Game Server", meta = (EditCondition = "bOverrideServer"))
	FString ServerHost = TEXT("127.0.0.1");

	UPROPERTY(Config, EditAnywhere, Category = "Game Server", meta = (EditCondition = "bOverrideServer", ClampMin = "1", ClampMax = "65535"))
	int32 ServerPort = 4433;

	// Your dev server's certificate SHA-256 (tower-server-cert/cert.sha256); empty: Project
	// Settings' fingerprint.
	UPROPERTY(Config, EditAnywhere, Category = "Game Server")
	FString Fingerprint;

	// Your development login name; empty: Project Settings' DevName.
	UPROPERTY(Config, EditAnywhere, Category = "Game Server")
	FString DevName;
};
