// Engine-free core of the TowerGame plugin: entity samples -> appeared / changed / removed.
#include "TowerCore/EntityEvents.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace tower {

namespace {

bool entity_by_id(const TowerEntity& a, const TowerEntity& b) { return a.id < b.id; }

EntityEvent make_entity_event(EntityEventType type, const TowerEntity& entity, std::uint8_t changes) {
    EntityEvent event;
    event.type = type;
    event.entity = entity;
    event.changes = changes;
    return event;
}

}  // namespace

std::uint8_t entity_changes(const TowerEntity& before, const TowerEntity& after, float move_epsilon_tiles) {
    unsigned changes = kEntityChangeNone;
    const float dx = after.x - before.x;
    const float dy = after.y - before.y;
    // NaN never compares greater, so a NaN position counts as moved through !(<=).
    if (!(std::fabs(dx) <= move_epsilon_tiles) || !(std::fabs(dy) <= move_epsilon_tiles)) {
        changes |= kEntityChangeMoved;
    }
    if (after.health != before.health) changes |= kEntityChangeHealth;
    if (after.flags != before.flags) changes |= kEntityChangeFlags;
    if (after.kind != before.kind) changes |= kEntityChangeKind;
    return static_cast<std::uint8_t>(changes);
}

void sort_entities(const std::vector<TowerEntity>& sample, std::optional<std::uint32_t> ignore_id,
                   std::vector<TowerEntity>& out) {
    out.clear();
    out.reserve(sample.size());
    for (const TowerEntity& entity : sample) {
        if (!ignore_id || entity.id != *ignore_id) {
            out.push_back(entity);
        }
    }
    // Stable, so the first of several equal ids stays in front and unique() keeps it.
    std::stable_sort(out.begin(), out.end(), entity_by_id);
    out.erase(std::unique(out.begin(), out.end(),
                          [](const TowerEntity& a, const TowerEntity& b) { return a.id == b.id; }),
              out.end());
}

const TowerEntity* find_sorted_entity(const std::vector<TowerEntity>& sorted, std::uint32_t id) {
    const auto it = std::lower_bound(sorted.begin(), sorted.end(), id,
                                     [](const TowerEntity& e, std::uint32_t wanted) { return e.id < wanted; });
    return it != sorted.end() && it->id == id ? &*it : nullptr;
}

std::vector<EntityEvent> EntityTracker::update(const std::vector<TowerEntity>& sample,
                                               std::optional<std::uint32_t> ignore_id) {
    std::vector<TowerEntity> next;
    sort_entities(sample, ignore_id, next);

    std::vector<EntityEvent> removed;
    std::vector<EntityEvent> rest;
    auto old_it = known_.begin();
    auto new_it = next.begin();
    while (old_it != known_.end() || new_it != next.end()) {
        if (new_it == next.end() || (old_it != known_.end() && old_it->id < new_it->id)) {
            removed.push_back(make_entity_event(EntityEventType::Removed, *old_it, kEntityChangeNone));
            ++old_it;
        } else if (old_it == known_.end() || new_it->id < old_it->id) {
            rest.push_back(make_entity_event(EntityEventType::Appeared, *new_it, kEntityChangeNone));
            ++new_it;
        } else {
            const std::uint8_t changes = entity_changes(*old_it, *new_it, move_epsilon_tiles_);
            if (changes != kEntityChangeNone) {
                rest.push_back(make_entity_event(EntityEventType::Changed, *new_it, changes));
            } else {
                // Keep the last reported sample, so a slow drift below the epsilon per
                // frame still adds up to a Moved event.
                *new_it = *old_it;
            }
            ++old_it;
            ++new_it;
        }
    }
    known_ = std::move(next);
    removed.insert(removed.end(), rest.begin(), rest.end());
    return removed;
}

std::vector<EntityEvent> EntityTracker::clear() {
    std::vector<EntityEvent> removed;
    removed.reserve(known_.size());
    for (const TowerEntity& entity : known_) {
        removed.push_back(make_entity_event(EntityEventType::Removed, entity, kEntityChangeNone));
    }
    known_.clear();
    return removed;
}

}  // namespace tower
