// The decision the Unreal glue follows after DISCONNECTED.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "TowerCore/Reconnect.h"
#include "tower.h"

namespace {

using tower::ReconnectAction;

TEST(Reconnect, EveryReasonHasItsAction) {
    struct Case {
        std::uint8_t reason;
        ReconnectAction with_token;
        ReconnectAction without_token;
    };
    const Case cases[] = {
        {TOWER_DISCONNECT_LEFT, ReconnectAction::GiveUp, ReconnectAction::GiveUp},
        {TOWER_DISCONNECT_CONNECTION_LOST, ReconnectAction::Resume, ReconnectAction::LoginAgain},
        {TOWER_DISCONNECT_SERVER_CLOSED, ReconnectAction::Resume, ReconnectAction::LoginAgain},
        {TOWER_DISCONNECT_SERVER_SHUTDOWN, ReconnectAction::Requeue, ReconnectAction::Requeue},
        {TOWER_DISCONNECT_SERVER_FULL, ReconnectAction::Requeue, ReconnectAction::Requeue},
        {TOWER_DISCONNECT_REPLACED, ReconnectAction::GiveUp, ReconnectAction::GiveUp},
        {TOWER_DISCONNECT_RESUME_EXPIRED, ReconnectAction::LoginAgain, ReconnectAction::LoginAgain},
        {TOWER_DISCONNECT_AUTH_FAILED, ReconnectAction::LoginAgain, ReconnectAction::LoginAgain},
        {TOWER_DISCONNECT_VERSION_MISMATCH, ReconnectAction::GiveUp, ReconnectAction::GiveUp},
        {TOWER_DISCONNECT_HASH_MISMATCH, ReconnectAction::GiveUp, ReconnectAction::GiveUp},
        {TOWER_DISCONNECT_PROTOCOL_ERROR, ReconnectAction::GiveUp, ReconnectAction::GiveUp},
        {200, ReconnectAction::GiveUp, ReconnectAction::GiveUp},
    };
    for (const Case& c : cases) {
        EXPECT_EQ(tower::action_for_reason(c.reason, true), c.with_token) << int(c.reason);
        EXPECT_EQ(tower::action_for_reason(c.reason, false), c.without_token) << int(c.reason);
    }
}

TEST(Reconnect, BackoffDoublesUpToTheCapThenGivesUp) {
    tower::ReconnectPolicy policy;
    policy.max_attempts = 5;
    policy.first_delay_seconds = 0.5;
    policy.max_delay_seconds = 4.0;
    tower::ReconnectPlanner planner(policy);
    const double expected[] = {0.5, 1.0, 2.0, 4.0, 4.0};
    for (std::uint32_t i = 0; i < 5; ++i) {
        const tower::ReconnectDecision d = planner.on_disconnect(TOWER_DISCONNECT_CONNECTION_LOST, true);
        EXPECT_EQ(d.action, ReconnectAction::Resume);
        EXPECT_EQ(d.attempt, i + 1);
        EXPECT_DOUBLE_EQ(d.delay_seconds, expected[i]);
    }
    const tower::ReconnectDecision last = planner.on_disconnect(TOWER_DISCONNECT_CONNECTION_LOST, true);
    EXPECT_EQ(last.action, ReconnectAction::GiveUp);
    EXPECT_EQ(last.attempt, 0u);
    EXPECT_EQ(last.delay_seconds, 0.0);
}

TEST(Reconnect, AWelcomeResetsTheCount) {
    tower::ReconnectPolicy policy;
    policy.max_attempts = 2;
    tower::ReconnectPlanner planner(policy);
    EXPECT_EQ(planner.on_disconnect(TOWER_DISCONNECT_CONNECTION_LOST, true).attempt, 1u);
    EXPECT_EQ(planner.on_disconnect(TOWER_DISCONNECT_RESUME_EXPIRED, true).action, ReconnectAction::LoginAgain);
    planner.on_welcome();
    EXPECT_EQ(planner.attempts(), 0u);
    const tower::ReconnectDecision d = planner.on_disconnect(TOWER_DISCONNECT_SERVER_FULL, false);
    EXPECT_EQ(d.action, ReconnectAction::Requeue);
    EXPECT_EQ(d.attempt, 1u);
}

TEST(Reconnect, JitterSpreadsTheDelayOverItsUpperHalf) {
    tower::ReconnectPlanner low;
    tower::ReconnectPlanner high;
    tower::ReconnectPlanner odd;
    EXPECT_DOUBLE_EQ(low.on_disconnect(TOWER_DISCONNECT_CONNECTION_LOST, true, 0.0).delay_seconds, 0.25);
    EXPECT_DOUBLE_EQ(high.on_disconnect(TOWER_DISCONNECT_CONNECTION_LOST, true, 7.0).delay_seconds, 0.5);
    EXPECT_DOUBLE_EQ(odd.on_disconnect(TOWER_DISCONNECT_CONNECTION_LOST, true, std::numeric_limits<double>::quiet_NaN()).delay_seconds, 0.5);
}

TEST(Reconnect, GivingUpStartsOver) {
    tower::ReconnectPlanner planner;
    (void)planner.on_disconnect(TOWER_DISCONNECT_CONNECTION_LOST, true);
    EXPECT_EQ(planner.on_disconnect(TOWER_DISCONNECT_REPLACED, true).action, ReconnectAction::GiveUp);
    EXPECT_EQ(planner.attempts(), 0u);
    EXPECT_STREQ(tower::reconnect_action_name(ReconnectAction::LoginAgain), "login again");
}

}  // namespace
