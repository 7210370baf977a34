// Snapshot interpolation, stepped with synthetic clocks: steady streams, jitter, loss,
// reordering, duplicates, starvation (bounded extrapolation), spawns/despawns, yaw wrap,
// teleports, and a render clock that never runs backwards.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <algorithm>
#include <random>
#include <utility>
#include <vector>

#include "TowerCore/SnapshotBuffer.h"

namespace {

constexpr double kRate = 30.0;
constexpr float kSpeed = 300.0f;  // cm per second along +X

// Entity 1 moves along +X at kSpeed; its exact position at server time t is kSpeed * t.
tower::EntityState mover(double server_time) {
    tower::EntityState e;
    e.id = 1;
    e.position = tower::Vec3{kSpeed * static_cast<float>(server_time), 100.0f, 0.0f};
    e.yaw_degrees = 0.0f;
    return e;
}

double tick_time(std::uint32_t tick) { return tick / kRate; }

}  // namespace

TEST(SnapshotBuffer, SteadyStreamInterpolatesExactlyAtTheRenderDelay) {
    tower::SnapshotBuffer buffer;
    const double latency = 0.040;
    double last_rt = -1.0;
    for (std::uint32_t tick = 0; tick < 120; ++tick) {
        const double arrival = tick_time(tick) + latency;
        ASSERT_EQ(buffer.push(tick, arrival, {mover(tick_time(tick))}), tower::PushResult::Inserted);
        for (int frame = 0; frame < 2; ++frame) {  // 60 fps between 30 Hz snapshots
            const double now = arrival + frame / 60.0;
            buffer.advance(now);
            ASSERT_GE(buffer.render_time(), last_rt) << "render clock ran backwards";
            last_rt = buffer.render_time();
            // Server "now" is now - latency; we draw 100 ms before that.
            EXPECT_NEAR(buffer.render_time(), now - latency - 0.100, 1e-6);
            if (tick > 5) {
                EXPECT_FALSE(buffer.extrapolating());
                const auto e = buffer.sample_entity(1);
                ASSERT_TRUE(e.has_value());
                EXPECT_NEAR(e->position.x, kSpeed * buffer.render_time(), 0.01);
            }
        }
    }
    EXPECT_LE(buffer.size(), 6u) << "old snapshots are pruned";
}

struct StreamStats {
    int frames = 0;
    int extrapolated = 0;
    double max_error = 0.0;
    bool monotonic = true;
};

// 10 s of a 30 Hz stream with uniform jitter in [20, 20 + jitter_ms] ms (which reorders
// packets) and every `lose_every`-th tick lost, drawn at 60 fps.
StreamStats run_stream(double jitter_ms, std::uint32_t lose_every) {
    tower::SnapshotBuffer buffer;
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> delay(0.020, 0.020 + jitter_ms / 1000.0);
    std::vector<std::pair<double, std::uint32_t>> arrivals;
    for (std::uint32_t tick = 0; tick < 300; ++tick) {
        if (lose_every != 0 && tick % lose_every == lose_every - 1) continue;
        arrivals.emplace_back(tick_time(tick) + delay(rng), tick);
    }
    std::sort(arrivals.begin(), arrivals.end());
    StreamStats stats;
    std::size_t next = 0;
    double last_rt = -1.0;
    for (double now = 0.0; now < 10.0; now += 1.0 / 60.0) {
        for (; next < arrivals.size() && arrivals[next].first <= now; ++next) {
            const std::uint32_t tick = arrivals[next].second;
            EXPECT_NE(buffer.push(tick, arrivals[next].first, {mover(tick_time(tick))}),
                      tower::PushResult::Duplicate);
        }
        buffer.advance(now);
        if (!buffer.started() || now < 1.0) continue;
        ++stats.frames;
        stats.monotonic = stats.monotonic && buffer.render_time() >= last_rt;
        last_rt = buffer.render_time();
        stats.extrapolated += buffer.extrapolating();
        const auto e = buffer.sample_entity(1);
        if (!e) {
            stats.max_error = 1e9;
            continue;
        }
        // Linear motion: interpolation (and short extrapolation) is exact.
        stats.max_error = std::max(stats.max_error,
                                   std::fabs(e->position.x - kSpeed * buffer.render_time()));
    }
    return stats;
}

TEST(SnapshotBuffer, JitterUpTo60msNeverStarves) {
    const StreamStats stats = run_stream(60.0, 0);
    EXPECT_GT(stats.frames, 500);
    EXPECT_TRUE(stats.monotonic);
    EXPECT_EQ(stats.extrapolated, 0) << "100 ms delay covers 60 ms jitter + one tick";
    EXPECT_LT(stats.max_error, 0.05);
}

TEST(SnapshotBuffer, LossIsInterpolatedAcross) {
    const StreamStats stats = run_stream(10.0, 3);  // a third of all snapshots lost
    EXPECT_TRUE(stats.monotonic);
    EXPECT_EQ(stats.extrapolated, 0) << "a 67 ms gap + 10 ms jitter fits in 100 ms";
    EXPECT_LT(stats.max_error, 0.05);
}

TEST(SnapshotBuffer, JitterPlusLossExtrapolatesRarelyAndStaysClose) {
    const StreamStats stats = run_stream(60.0, 5);
    EXPECT_TRUE(stats.monotonic);
    EXPECT_LT(stats.extrapolated * 20, stats.frames) << "under 5 % of frames";
    EXPECT_LT(stats.max_error, 0.05);
}

TEST(SnapshotBuffer, OutOfOrderIsSortedAndDuplicatesAndLateOnesAreDropped) {
    tower::SnapshotBuffer buffer;
    EXPECT_EQ(buffer.push(2, 0.10, {mover(tick_time(2))}), tower::PushResult::Inserted);
    EXPECT_EQ(buffer.push(1, 0.11, {mover(tick_time(1))}), tower::PushResult::Inserted);
    EXPECT_EQ(buffer.push(2, 0.12, {mover(tick_time(2))}), tower::PushResult::Duplicate);
    EXPECT_EQ(buffer.push(3, 0.13, {mover(tick_time(3))}), tower::PushResult::Inserted);
    EXPECT_EQ(buffer.size(), 3u);
    for (std::uint32_t tick = 4; tick < 40; ++tick) {
        buffer.push(tick, tick_time(tick) + 0.03, {mover(tick_time(tick))});
        buffer.advance(tick_time(tick) + 0.03);
    }
    // Tick 1 is long behind the render time now.
    EXPECT_EQ(buffer.push(1, 2.0, {mover(tick_time(1))}), tower::PushResult::TooOld);
}

TEST(SnapshotBuffer, StarvationExtrapolatesABoundedAmountThenHolds) {
    tower::InterpolationConfig config;
    tower::SnapshotBuffer buffer(config);
    std::uint32_t tick = 0;
    for (; tick < 30; ++tick) {
        buffer.push(tick, tick_time(tick) + 0.03, {mover(tick_time(tick))});
        buffer.advance(tick_time(tick) + 0.03);
    }
    const double newest = tick_time(tick - 1);
    // No more snapshots: time goes on for two seconds.
    double last_x = 0.0;
    for (double now = newest + 0.03; now < newest + 2.0; now += 1.0 / 60.0) {
        buffer.advance(now);
        const auto e = buffer.sample_entity(1);
        ASSERT_TRUE(e.has_value());
        EXPECT_GE(e->position.x, last_x - 1e-3);
        last_x = e->position.x;
        // Interpolated up to the newest snapshot, then extrapolated for at most 250 ms.
        const double expected =
            kSpeed * std::min(buffer.render_time(), newest + config.max_extrapolation_s);
        EXPECT_NEAR(e->position.x, expected, 0.05);
    }
    EXPECT_TRUE(buffer.extrapolating());
    EXPECT_NEAR(last_x, kSpeed * (newest + config.max_extrapolation_s), 0.05);
}

TEST(SnapshotBuffer, EntitiesAppearAndVanishAtTheirSnapshotTimes) {
    tower::SnapshotBuffer buffer;
    tower::EntityState other;
    other.id = 9;
    for (std::uint32_t tick = 0; tick < 30; ++tick) {
        std::vector<tower::EntityState> entities{mover(tick_time(tick))};
        if (tick >= 10 && tick < 20) entities.push_back(other);
        buffer.push(tick, tick_time(tick) + 0.03, entities);
    }
    const auto visible_at = [&](double server_time) {
        tower::SnapshotBuffer copy = buffer;
        copy.advance(server_time + 0.03 + 0.100);  // render time == server_time
        return copy.sample_entity(9).has_value();
    };
    // Render time exactly at tick 9.5, 10.5, 19.5, 20.5 (in ticks).
    EXPECT_FALSE(visible_at(9.5 / kRate));
    EXPECT_TRUE(visible_at(10.5 / kRate));
    EXPECT_TRUE(visible_at(19.5 / kRate));
    EXPECT_FALSE(visible_at(20.5 / kRate));
}

TEST(SnapshotBuffer, YawTakesTheShortWayRound) {
    tower::SnapshotBuffer buffer;
    tower::EntityState a;
    a.id = 1;
    a.yaw_degrees = 350.0f;
    tower::EntityState b = a;
    b.yaw_degrees = 10.0f;
    buffer.push(0, 0.03, {a});
    buffer.push(1, tick_time(1) + 0.03, {b});
    buffer.advance(0.5 / kRate + 0.03 + 0.100);  // halfway between tick 0 and 1
    const auto e = buffer.sample_entity(1);
    ASSERT_TRUE(e.has_value());
    EXPECT_NEAR(std::fmod(e->yaw_degrees + 360.0f, 360.0f), 0.0f, 0.01f);
}

TEST(SnapshotBuffer, TeleportsSnapInsteadOfSliding) {
    tower::SnapshotBuffer buffer;
    tower::EntityState a;
    a.id = 1;
    tower::EntityState b = a;
    b.position.x = 10000.0f;  // 100 m in one tick: a stairs transition, not a walk
    buffer.push(0, 0.03, {a});
    buffer.push(1, tick_time(1) + 0.03, {b});
    buffer.advance(0.5 / kRate + 0.03 + 0.100);
    const auto e = buffer.sample_entity(1);
    ASSERT_TRUE(e.has_value());
    EXPECT_FLOAT_EQ(e->position.x, 10000.0f);
}

TEST(SnapshotBuffer, ClockSlewsGentlyWhenLatencyDrops) {
    tower::SnapshotBuffer buffer;
    double last_rt = -1.0;
    double max_step = 0.0;
    for (std::uint32_t tick = 0; tick < 300; ++tick) {
        const double latency = tick < 150 ? 0.150 : 0.030;  // route change: 120 ms faster
        const double arrival = tick_time(tick) + latency;
        buffer.push(tick, arrival, {mover(tick_time(tick))});
        buffer.advance(arrival);
        if (last_rt >= 0.0) {
            max_step = std::max(max_step, buffer.render_time() - last_rt);
            ASSERT_GE(buffer.render_time(), last_rt);
        }
        last_rt = buffer.render_time();
    }
    // Never more than 5 % faster than real time per step (1/30 s): no visible jump.
    EXPECT_LE(max_step, (1.0 / kRate) * 1.05 + 1e-9);
    // And it converged to the new target by the end (150 ticks = 5 s, 120 ms at 5 %).
    EXPECT_NEAR(buffer.render_time(), tick_time(299) + 0.030 - 0.030 - 0.100, 0.01);
}

TEST(SnapshotBuffer, EmptyBufferSamplesNothing) {
    tower::SnapshotBuffer buffer;
    buffer.advance(1.0);
    EXPECT_FALSE(buffer.started());
    EXPECT_TRUE(buffer.sample().empty());
    EXPECT_FALSE(buffer.sample_entity(1).has_value());
}
