#include "TowerTypes.h"

#include "TowerCoreIncludes.h"

// The Unreal-side enums are copies of C ABI / core values: a renumbering on either side
// must fail the build, not draw walls as doors.
static_assert(static_cast<uint8>(ETowerTile::Wall) == TOWER_TILE_WALL, "ETowerTile::Wall");
static_assert(static_cast<uint8>(ETowerTile::Floor) == TOWER_TILE_FLOOR, "ETowerTile::Floor");
static_assert(static_cast<uint8>(ETowerTile::Door) == TOWER_TILE_DOOR, "ETowerTile::Door");
static_assert(static_cast<uint8>(ETowerTile::Corridor) == TOWER_TILE_CORRIDOR, "ETowerTile::Corridor");
static_assert(static_cast<uint8>(ETowerTile::Entry) == TOWER_TILE_ENTRY, "ETowerTile::Entry");
static_assert(static_cast<uint8>(ETowerTile::StairsUp) == TOWER_TILE_STAIRS_UP, "ETowerTile::StairsUp");
static_assert(static_cast<uint8>(ETowerTile::StairsDown) == TOWER_TILE_STAIRS_DOWN, "ETowerTile::StairsDown");
static_assert(static_cast<uint8>(ETowerTile::StairsDown) + 1 == TOWER_TILE_COUNT, "ETowerTile: one value per TowerTile");

static_assert(static_cast<uint8>(ETowerEntityKind::Player) == TOWER_ENTITY_KIND_PLAYER, "ETowerEntityKind::Player");
static_assert(static_cast<uint8>(ETowerEntityKind::Monster) == TOWER_ENTITY_KIND_MONSTER, "ETowerEntityKind::Monster");

static_assert(static_cast<uint8>(ETowerSpawnKind::Monster) == TOWER_SPAWN_KIND_MONSTER, "ETowerSpawnKind::Monster");
static_assert(static_cast<uint8>(ETowerSpawnKind::Loot) == TOWER_SPAWN_KIND_LOOT, "ETowerSpawnKind::Loot");

static_assert(static_cast<uint8>(ETowerEntityFlags::Attacking) == tower::kEntityFlagAttacking, "ETowerEntityFlags::Attacking");
static_assert(static_cast<uint8>(ETowerEntityFlags::Dead) == tower::kEntityFlagDead, "ETowerEntityFlags::Dead");
static_assert(static_cast<uint8>(ETowerEntityFlags::Hurt) == tower::kEntityFlagHurt, "ETowerEntityFlags::Hurt");
static_assert(static_cast<uint8>(ETowerEntityFlags::InCombat) == tower::kEntityFlagInCombat, "ETowerEntityFlags::InCombat");

static_assert(static_cast<uint8>(ETowerEntityChange::Moved) == tower::kEntityChangeMoved, "ETowerEntityChange::Moved");
static_assert(static_cast<uint8>(ETowerEntityChange::Health) == tower::kEntityChangeHealth, "ETowerEntityChange::Health");
static_assert(static_cast<uint8>(ETowerEntityChange::Flags) == tower::kEntityChangeFlags, "ETowerEntityChange::Flags");
static_assert(static_cast<uint8>(ETowerEntityChange::Kind) == tower::kEntityChangeKind, "ETowerEntityChange::Kind");

static_assert(static_cast<uint8>(ETowerMeshPivot::BottomCentre) == static_cast<uint8>(tower::MeshPivot::BottomCentre), "ETowerMeshPivot::BottomCentre");
static_assert(static_cast<uint8>(ETowerMeshPivot::Centre) == static_cast<uint8>(tower::MeshPivot::Centre), "ETowerMeshPivot::Centre");

static_assert(static_cast<uint8>(ETowerReconnectAction::Resume) == static_cast<uint8>(tower::ReconnectAction::Resume), "ETowerReconnectAction::Resume");
static_assert(static_cast<uint8>(ETowerReconnectAction::Requeue) == static_cast<uint8>(tower::ReconnectAction::Requeue), "ETowerReconnectAction::Requeue");
static_assert(static_cast<uint8>(ETowerReconnectAction::LoginAgain) == static_cast<uint8>(tower::ReconnectAction::LoginAgain), "ETowerReconnectAction::LoginAgain");
static_assert(static_cast<uint8>(ETowerReconnectAction::GiveUp) == static_cast<uint8>(tower::ReconnectAction::GiveUp), "ETowerReconnectAction::GiveUp");
