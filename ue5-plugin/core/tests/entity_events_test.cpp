// Entity samples -> appeared / changed / removed events, in a fixed order, with the change
// bits (moved, health, flags, kind).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "TowerCore/EntityEvents.h"

namespace {

TowerEntity entity(std::uint32_t id, float x, float y) {
    TowerEntity e{};
    e.id = id;
    e.x = x;
    e.y = y;
    e.health = 100;
    e.kind = TOWER_ENTITY_KIND_PLAYER;
    return e;
}

using tower::EntityEventType;

TEST(EntityEvents, AppearChangeRemoveInOrder) {
    tower::EntityTracker tracker;
    auto events = tracker.update({entity(5, 1, 1), entity(2, 0, 0)});
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].type, EntityEventType::Appeared);
    EXPECT_EQ(events[0].entity.id, 2u);
    EXPECT_EQ(events[1].entity.id, 5u);

    // 2 moves, 5 goes, 9 comes: removed first, then by id.
    events = tracker.update({entity(9, 3, 3), entity(2, 0.5f, 0)});
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[0].type, EntityEventType::Removed);
    EXPECT_EQ(events[0].entity.id, 5u);
    EXPECT_FLOAT_EQ(events[0].entity.x, 1.0f);  // the last sample seen
    EXPECT_EQ(events[1].type, EntityEventType::Changed);
    EXPECT_EQ(events[1].entity.id, 2u);
    EXPECT_EQ(events[1].changes, tower::kEntityChangeMoved);
    EXPECT_EQ(events[2].type, EntityEventType::Appeared);
    EXPECT_EQ(events[2].entity.id, 9u);
    EXPECT_EQ(tracker.size(), 2u);

    // Nothing changed: nothing to say.
    EXPECT_TRUE(tracker.update({entity(2, 0.5f, 0), entity(9, 3, 3)}).empty());
}

TEST(EntityEvents, EveryChangeBit) {
    tower::EntityTracker tracker;
    tracker.update({entity(1, 0, 0)});
    TowerEntity after = entity(1, 0, 0);
    after.health = 90;
    after.flags = tower::kEntityFlagHurt | tower::kEntityFlagInCombat;
    after.kind = TOWER_ENTITY_KIND_MONSTER;
    const auto events = tracker.update({after});
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].changes, tower::kEntityChangeHealth | tower::kEntityChangeFlags |
                                     tower::kEntityChangeKind);
    EXPECT_EQ(events[0].entity.flags, tower::kEntityFlagHurt | tower::kEntityFlagInCombat);
}

TEST(EntityEvents, JitterIsNotMovementButDriftAddsUp) {
    tower::EntityTracker tracker(0.01f);
    tracker.update({entity(1, 0, 0)});
    int moved = 0;
    for (int i = 1; i <= 10; ++i) {
        const auto events = tracker.update({entity(1, 0.004f * static_cast<float>(i), 0)});
        moved += static_cast<int>(events.size());
    }
    // 0.04 tiles in steps of 0.004 with an epsilon of 0.01: a few Moved events, not ten.
    EXPECT_GE(moved, 3);
    EXPECT_LE(moved, 4);
}

TEST(EntityEvents, NanPositionCountsAsMoved) {
    tower::EntityTracker tracker;
    tracker.update({entity(1, 0, 0)});
    const auto events = tracker.update({entity(1, std::nanf(""), 0)});
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].changes, tower::kEntityChangeMoved);
}

TEST(EntityEvents, LocalPlayerIsIgnoredAndDuplicatesKeepTheFirst) {
    tower::EntityTracker tracker;
    const auto events = tracker.update({entity(7, 0, 0), entity(3, 1, 1), entity(3, 9, 9)}, 7u);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].entity.id, 3u);
    EXPECT_FLOAT_EQ(events[0].entity.x, 1.0f);
    EXPECT_EQ(tracker.size(), 1u);
}

TEST(EntityEvents, ClearRemovesEverything) {
    tower::EntityTracker tracker;
    tracker.update({entity(4, 0, 0), entity(1, 0, 0)});
    const auto events = tracker.clear();
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].type, EntityEventType::Removed);
    EXPECT_EQ(events[0].entity.id, 1u);
    EXPECT_EQ(events[1].entity.id, 4u);
    EXPECT_EQ(tracker.size(), 0u);
    EXPECT_TRUE(tracker.clear().empty());
    // After a clear everything appears again.
    EXPECT_EQ(tracker.update({entity(4, 0, 0)}).at(0).type, EntityEventType::Appeared);
}

TEST(EntityEvents, SortedEntitiesAreFoundById) {
    std::vector<TowerEntity> sorted{entity(99, 0, 0)};  // old content is replaced
    tower::sort_entities({entity(8, 0, 0), entity(7, 0, 0), entity(3, 1, 1), entity(3, 9, 9), entity(12, 2, 2)}, 7u,
                         sorted);
    ASSERT_EQ(sorted.size(), 3u);
    EXPECT_EQ(sorted[0].id, 3u);
    EXPECT_EQ(sorted[1].id, 8u);
    EXPECT_EQ(sorted[2].id, 12u);
    ASSERT_NE(tower::find_sorted_entity(sorted, 3), nullptr);
    EXPECT_FLOAT_EQ(tower::find_sorted_entity(sorted, 3)->x, 1.0f) << "the first of duplicated ids";
    EXPECT_EQ(tower::find_sorted_entity(sorted, 12)->id, 12u);
    EXPECT_EQ(tower::find_sorted_entity(sorted, 7), nullptr) << "the ignored id";
    EXPECT_EQ(tower::find_sorted_entity(sorted, 99), nullptr);
    EXPECT_EQ(tower::find_sorted_entity(sorted, 0), nullptr);
    EXPECT_EQ(tower::find_sorted_entity({}, 1), nullptr);
}

}  // namespace
