// Blueprint-facing types of the TowerGame plugin. Every enum here mirrors a value of
// tower.h or of the engine-free core; TowerTypes.cpp static_asserts each one.
#pragma once

#include "CoreMinimal.h"
#include "TowerTypes.generated.h"

// Tile kinds, with the byte values of TowerTile in tower.h.
UENUM(BlueprintType)
enum class ETowerTile : uint8
{
	Wall = 0,
	Floor = 1,
	Door = 2,
	Corridor = 3,
	Entry = 4,
	StairsUp = 5,
	StairsDown = 6,
};

// Entity kinds, with the values of TowerEntityKind in tower.h.
UENUM(BlueprintType)
enum class ETowerEntityKind : uint8
{
	Player = 0,
	Monster = 1,
};

// Protocol entity flags (TowerEntity::flags), as a Blueprint bit set.
UENUM(BlueprintType, meta = (Bitflags, UseEnumValuesAsMaskValuesInEditor = "true"))
enum class ETowerEntityFlags : uint8
{
	None = 0 UMETA(Hidden),
	Attacking = 1,
	Dead = 2,
	Hurt = 4,
	InCombat = 8,
};
ENUM_CLASS_FLAGS(ETowerEntityFlags);

// Spawn point kinds, with the values of TowerSpawnKind in tower.h.
UENUM(BlueprintType)
enum class ETowerSpawnKind : uint8
{
	Monster = 0,
	Loot = 1,
};

// What changed between two samples of an entity (OnEntityChanged), as a bit set.
UENUM(BlueprintType, meta = (Bitflags, UseEnumValuesAsMaskValuesInEditor = "true"))
enum class ETowerEntityChange : uint8
{
	None = 0 UMETA(Hidden),
	Moved = 1,
	Health = 2,
	Flags = 4,
	// 8 was Guild: guilds come from the roster now (Name and Guild of FTowerEntity).
	Kind = 16,
};
ENUM_CLASS_FLAGS(ETowerEntityChange);

// What the game should do after a disconnect (tower::ReconnectAction): the subsystem
// resumes by itself; the others are for the game (matchmaker, login screen, main menu).
UENUM(BlueprintType)
enum class ETowerReconnectAction : uint8
{
	// Reconnecting to the same server with the resume token (automatic, after the delay).
	Resume = 0,
	// Find a server again through the matchmaker: this one is full or going away.
	Requeue = 1,
	// Log in afresh: the credentials or the resume token were refused.
	LoginAgain = 2,
	// Stop: the player left, logged in elsewhere, the build is incompatible, or the
	// retries are used up.
	GiveUp = 3,
};

// How a floor is drawn.
UENUM(BlueprintType)
enum class ETowerFloorRenderMode : uint8
{
	// One UProceduralMeshComponent with a section per tile kind: flat-shaded boxes with
	// world-aligned UVs, no art needed. The default: visible on first run.
	ProceduralMesh,
	// One UInstancedStaticMeshComponent per tile kind, one instance per tile: for art-made
	// tile meshes. Kinds without a mesh fall back to the engine cube, with a warning.
	InstancedMeshes,
};

// Where the pivot of the instanced tile meshes sits.
UENUM(BlueprintType)
enum class ETowerMeshPivot : uint8
{
	// Art made for tiles: pivot at the centre of the bottom face, used as is.
	BottomCentre,
	// Like /Engine/BasicShapes/Cube: walls are lifted to stand on the floor and walkable
	// tiles become slabs whose top is the floor surface.
	Centre,
};

// An entity (player or monster) at the current render time, in world space. The protocol
// carries no facing: UTowerEntityComponent turns actors toward their motion.
USTRUCT(BlueprintType)
struct TOWERGAME_API FTowerEntity
{
	GENERATED_BODY()

	UPROPERTY(BlueprintReadOnly, Category = "Tower")
	int32 Id = 0;

	UPROPERTY(BlueprintReadOnly, Category = "Tower")
	ETowerEntityKind Kind = ETowerEntityKind::Player;

	UPROPERTY(BlueprintReadOnly, Category = "Tower")
	FVector Location = FVector::ZeroVector;

	// Position in tiles, as the server sees it (12.5, 3.5 = centre of tile 12, 3).
	UPROPERTY(BlueprintReadOnly, Category = "Tower")
	FVector2D Tile = FVector2D::ZeroVector;

	UPROPERTY(BlueprintReadOnly, Category = "Tower")
	int32 Health = 0;

	// Players: display name and guild (Nakama group) name from the floor's roster; empty
	// for monsters and for a guildless player.
	UPROPERTY(BlueprintReadOnly, Category = "Tower")
	FString Name;

	UPROPERTY(BlueprintReadOnly, Category = "Tower")
	FString Guild;

	UPROPERTY(BlueprintReadOnly, Category = "Tower", meta = (Bitmask, BitmaskEnum = "/Script/TowerGame.ETowerEntityFlags"))
	int32 Flags = 0;
};

// A monster or loot point of a built floor.
USTRUCT(BlueprintType)
struct TOWERGAME_API FTowerSpawn
{
	GENERATED_BODY()

	UPROPERTY(BlueprintReadOnly, Category = "Tower|Floor")
	ETowerSpawnKind Kind = ETowerSpawnKind::Monster;

	// Grows with the floor number.
	UPROPERTY(BlueprintReadOnly, Category = "Tower|Floor")
	int32 Level = 0;

	// Centre of the spawn's tile, in tiles (12.5, 3.5 = tile 12, 3).
	UPROPERTY(BlueprintReadOnly, Category = "Tower|Floor")
	FVector2D Tile = FVector2D::ZeroVector;

	// The same point in the world, placed by the floor component's transform.
	UPROPERTY(BlueprintReadOnly, Category = "Tower|Floor")
	FVector Location = FVector::ZeroVector;
};

// Who is on the floor: a player's entity id with its display name and guild.
USTRUCT(BlueprintType)
struct TOWERGAME_API FTowerRosterEntry
{
	GENERATED_BODY()

	UPROPERTY(BlueprintReadOnly, Category = "Tower")
	int32 EntityId = 0;

	UPROPERTY(BlueprintReadOnly, Category = "Tower")
	FString Name;

	// The Nakama group's name; empty for a guildless player.
	UPROPERTY(BlueprintReadOnly, Category = "Tower")
	FString Guild;
};

// Connection details from a Nakama "match ready" notification.
USTRUCT(BlueprintType)
struct TOWERGAME_API FTowerMatchTicket
{
	GENERATED_BODY()

	// "host:port" (IPv6 literals in brackets); host names are resolved by the library.
	UPROPERTY(BlueprintReadOnly, Category = "Tower|Nakama")
	FString ServerAddress;

	// The server certificate's SHA-256, 64 lower-case hex digits.
	UPROPERTY(BlueprintReadOnly, Category = "Tower|Nakama")
	FString Fingerprint;

	// The signed, short-lived match ticket: the only credential the game server sees.
	UPROPERTY(BlueprintReadOnly, Category = "Tower|Nakama")
	FString Ticket;
};
