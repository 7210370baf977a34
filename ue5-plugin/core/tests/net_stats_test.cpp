// The `Tower.NetStats` line.
#include <gtest/gtest.h>

#include <string>

#include "TowerCore/NetStats.h"

namespace {

TEST(NetStats, IdleSaysSo) {
    EXPECT_EQ(tower::format_net_stats(tower::NetStats{}), "Tower: idle (not connected)");
}

TEST(NetStats, OnFloorLine) {
    tower::NetStats stats;
    stats.phase = tower::ConnectionPhase::OnFloor;
    stats.server_address = "127.0.0.1:4433";
    stats.entity_id = 7;
    stats.seed = 42;
    stats.floor = 3;
    stats.entities_in_view = 5;
    stats.events_total = 12;
    stats.entity_events_total = 40;
    stats.connected_seconds = 12.34;
    stats.seconds_since_event = 0.4;
    EXPECT_EQ(tower::format_net_stats(stats),
              "Tower: on-floor 127.0.0.1:4433 player 7 floor 3 seed 42 | entities 5 | events 12 "
              "(entity events 40) | up 12.3 s, last event 0.4 s ago");
}

TEST(NetStats, UnknownTimesAndEveryPhaseName) {
    tower::NetStats stats;
    stats.phase = tower::ConnectionPhase::Connecting;
    const std::string line = tower::format_net_stats(stats);
    EXPECT_NE(line.find("connecting ?"), std::string::npos) << line;
    EXPECT_NE(line.find("up -, last event - ago"), std::string::npos) << line;
    EXPECT_STREQ(tower::phase_name(tower::ConnectionPhase::Welcomed), "welcomed");
    EXPECT_STREQ(tower::phase_name(tower::ConnectionPhase::Closing), "closing");
}

}  // namespace
