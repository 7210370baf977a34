// Engine-free core of the TowerGame plugin: turns the library's per-frame entity samples
// (tower_client_entities) into events a game reacts to: an entity appeared, changed (moved,
// health, flags, kind) or was removed. Names and guilds come from the roster instead
// (tower::Client::roster). Plain C++17, no Unreal headers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "TowerFfiHeader.h"

namespace tower {

// Bits of TowerEntity::flags: tower.h's TOWER_ENTITY_* under the core's names.
constexpr std::uint8_t kEntityFlagAttacking = TOWER_ENTITY_ATTACKING;
constexpr std::uint8_t kEntityFlagDead = TOWER_ENTITY_DEAD;
constexpr std::uint8_t kEntityFlagHurt = TOWER_ENTITY_HURT;
constexpr std::uint8_t kEntityFlagInCombat = TOWER_ENTITY_IN_COMBAT;

// What changed between two samples of one entity (a bit set).
enum EntityChange : std::uint8_t {
    kEntityChangeNone = 0,
    kEntityChangeMoved = 1,
    kEntityChangeHealth = 2,
    kEntityChangeFlags = 4,
    // 8 was guild, which snapshots no longer carry (protocol 4): see the roster.
    kEntityChangeKind = 16,
};

enum class EntityEventType : std::uint8_t { Appeared, Changed, Removed };

struct EntityEvent {
    EntityEventType type = EntityEventType::Appeared;
    // Appeared / Changed: the new sample. Removed: the last sample seen.
    TowerEntity entity{};
    std::uint8_t changes = kEntityChangeNone;  // Changed only
};

// Remembers the last reported state of each entity and reports differences. Deterministic: events come removed
// first, then appeared and changed, each in ascending id order. Duplicated ids in one
// sample keep the first occurrence.
class EntityTracker {
public:
    // Movement below this many tiles is not a change (interpolation jitter).
    explicit EntityTracker(float move_epsilon_tiles = 0.001f) : move_epsilon_tiles_(move_epsilon_tiles) {}

    // `ignore_id`: an entity to leave out entirely (the local player, drawn from the
    // prediction instead).
    std::vector<EntityEvent> update(const std::vector<TowerEntity>& sample,
                                    std::optional<std::uint32_t> ignore_id = std::nullopt);
    // Forgets everything, returning a Removed event for each known entity (disconnect).
    std::vector<EntityEvent> clear();

    std::size_t size() const { return known_.size(); }
    const std::vector<TowerEntity>& known() const { return known_; }

private:
    float move_epsilon_tiles_;
    std::vector<TowerEntity> known_;  // sorted by id, unique
};

// Writes `sample` into `out` sorted by id, without `ignore_id`, and with one entity per id
// (the first occurrence): the order EntityTracker and tower::Session keep entities in.
// Reuses `out`'s storage.
void sort_entities(const std::vector<TowerEntity>& sample, std::optional<std::uint32_t> ignore_id,
                   std::vector<TowerEntity>& out);

// The entity with `id` in a vector sort_entities wrote (binary search), or nullptr.
const TowerEntity* find_sorted_entity(const std::vector<TowerEntity>& sorted, std::uint32_t id);

// The change bits between two samples of the same entity.
std::uint8_t entity_changes(const TowerEntity& before, const TowerEntity& after, float move_epsilon_tiles);

}  // namespace tower
