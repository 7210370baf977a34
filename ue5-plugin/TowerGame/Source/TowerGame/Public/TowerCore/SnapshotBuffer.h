// Engine-free core of the TowerGame plugin: Source-style snapshot interpolation.
//
// Remote entities are drawn `render_delay_s` (default 100 ms) behind the newest server
// state the network could have delivered, so there are normally two snapshots around the
// render time to interpolate between even when one is lost or late. Sans-IO: the caller
// passes local times in seconds (any monotonic clock); nothing here reads a clock.
//
// - Server time of a snapshot = tick / tick_rate_hz.
// - Clock: each arrival gives offset = server_time - arrival_time. Jitter and queueing only
//   ever delay packets, so the largest offset over the last `offset_window` arrivals is the
//   least-delayed estimate of server "now". The render clock then runs at local speed,
//   slewed by at most `max_slew` (5 %) toward `now + offset - render_delay` so it never
//   jumps; it snaps only when it is more than `snap_threshold_s` off (e.g. after a stall).
// - Loss: the gap is interpolated over. Out of order: inserted in tick order. Duplicates
//   and snapshots already behind the render time are dropped.
// - Starvation: past the newest snapshot, entities move on with their last velocity for at
//   most `max_extrapolation_s` (250 ms), then stop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "TowerCore/FloorMesh.h"

namespace tower {

struct EntityState {
    std::uint32_t id = 0;
    Vec3 position;
    float yaw_degrees = 0.0f;
};

struct InterpolationConfig {
    double tick_rate_hz = 30.0;
    double render_delay_s = 0.100;
    double max_extrapolation_s = 0.250;
    std::size_t offset_window = 32;
    double max_slew = 0.05;
    double snap_threshold_s = 0.5;
    // Moves longer than this between two snapshots are teleports: drawn at the newer
    // position, never slid across the map.
    float teleport_distance = 800.0f;
    std::size_t capacity = 64;
};

enum class PushResult { Inserted, Duplicate, TooOld };

class SnapshotBuffer {
public:
    explicit SnapshotBuffer(InterpolationConfig config = {});

    // A snapshot of every visible entity at `server_tick`, received at local time `arrival_s`.
    PushResult push(std::uint32_t server_tick, double arrival_s, std::vector<EntityState> entities);

    // Moves the render clock to local time `now_s` (call once per frame, then sample()).
    void advance(double now_s);

    // Server time (seconds) currently drawn; meaningful after the first advance().
    double render_time() const { return render_time_; }
    bool started() const { return started_; }
    // Whether the render time is past the newest snapshot.
    bool extrapolating() const;
    std::size_t size() const { return snapshots_.size(); }

    // Every entity at the render time, sorted by id.
    std::vector<EntityState> sample() const;
    std::optional<EntityState> sample_entity(std::uint32_t id) const;

private:
    struct Stored {
        std::uint32_t tick = 0;
        double time = 0.0;
        std::vector<EntityState> entities;  // sorted by id
    };

    double best_offset() const;
    void prune();

    InterpolationConfig config_;
    std::deque<Stored> snapshots_;  // sorted by tick
    std::deque<double> offsets_;
    double render_time_ = 0.0;
    double last_now_ = 0.0;
    bool started_ = false;
};

}  // namespace tower
