// Engine-free core of the TowerGame plugin: Source-style snapshot interpolation.
#include "TowerCore/SnapshotBuffer.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace tower {

namespace {

const EntityState* snapshot_find(const std::vector<EntityState>& entities, std::uint32_t id) {
    auto it = std::lower_bound(entities.begin(), entities.end(), id,
                               [](const EntityState& e, std::uint32_t key) { return e.id < key; });
    return (it != entities.end() && it->id == id) ? &*it : nullptr;
}

float snapshot_distance(const Vec3& a, const Vec3& b) {
    const float dx = b.x - a.x;
    const float dy = b.y - a.y;
    const float dz = b.z - a.z;
    return std::sqrt(dx * dx + dy * dy + dz * dz);
}

// Shortest signed angle from a to b, in (-180, 180].
float snapshot_angle_delta(float a, float b) {
    float d = std::fmod(b - a, 360.0f);
    if (d > 180.0f) d -= 360.0f;
    if (d <= -180.0f) d += 360.0f;
    return d;
}

EntityState snapshot_lerp(const EntityState& a, const EntityState& b, float alpha) {
    EntityState out;
    out.id = b.id;
    out.position = Vec3{a.position.x + (b.position.x - a.position.x) * alpha,
                        a.position.y + (b.position.y - a.position.y) * alpha,
                        a.position.z + (b.position.z - a.position.z) * alpha};
    out.yaw_degrees = a.yaw_degrees + snapshot_angle_delta(a.yaw_degrees, b.yaw_degrees) * alpha;
    return out;
}

}  // namespace

SnapshotBuffer::SnapshotBuffer(InterpolationConfig config) : config_(config) {}

PushResult SnapshotBuffer::push(std::uint32_t server_tick, double arrival_s,
                                std::vector<EntityState> entities) {
    const double time = static_cast<double>(server_tick) / config_.tick_rate_hz;
    auto pos = std::lower_bound(snapshots_.begin(), snapshots_.end(), server_tick,
                                [](const Stored& s, std::uint32_t tick) { return s.tick < tick; });
    if (pos != snapshots_.end() && pos->tick == server_tick) {
        return PushResult::Duplicate;
    }
    // Older than everything kept while the oldest kept one is already being drawn: useless.
    if (started_ && pos == snapshots_.begin() && !snapshots_.empty() &&
        snapshots_.front().time <= render_time_) {
        return PushResult::TooOld;
    }
    std::sort(entities.begin(), entities.end(),
              [](const EntityState& a, const EntityState& b) { return a.id < b.id; });
    Stored stored;
    stored.tick = server_tick;
    stored.time = time;
    stored.entities = std::move(entities);
    snapshots_.insert(pos, std::move(stored));
    while (snapshots_.size() > config_.capacity) {
        snapshots_.pop_front();
    }
    offsets_.push_back(time - arrival_s);
    while (offsets_.size() > config_.offset_window) {
        offsets_.pop_front();
    }
    return PushResult::Inserted;
}

double SnapshotBuffer::best_offset() const {
    return *std::max_element(offsets_.begin(), offsets_.end());
}

void SnapshotBuffer::advance(double now_s) {
    if (offsets_.empty()) {
        return;
    }
    const double target = now_s + best_offset() - config_.render_delay_s;
    if (!started_) {
        render_time_ = target;
        last_now_ = now_s;
        started_ = true;
        prune();
        return;
    }
    const double dt = std::max(0.0, now_s - last_now_);
    last_now_ = std::max(last_now_, now_s);
    render_time_ += dt;
    const double error = target - render_time_;
    if (std::fabs(error) > config_.snap_threshold_s) {
        render_time_ = target;
    } else {
        const double limit = config_.max_slew * dt;
        render_time_ += std::clamp(error, -limit, limit);
    }
    prune();
}

void SnapshotBuffer::prune() {
    // Keep the newest snapshot at or before the render time (the "from" side), and always
    // two snapshots so extrapolation has a velocity.
    while (snapshots_.size() > 2 && snapshots_[1].time <= render_time_) {
        snapshots_.pop_front();
    }
}

bool SnapshotBuffer::extrapolating() const {
    return !snapshots_.empty() && render_time_ > snapshots_.back().time;
}

std::vector<EntityState> SnapshotBuffer::sample() const {
    std::vector<EntityState> out;
    if (snapshots_.empty()) {
        return out;
    }
    const double rt = render_time_;
    auto after = std::upper_bound(snapshots_.begin(), snapshots_.end(), rt,
                                  [](double t, const Stored& s) { return t < s.time; });
    if (after == snapshots_.begin()) {
        return snapshots_.front().entities;  // before everything we have: hold the oldest
    }
    if (after == snapshots_.end()) {
        const Stored& newest = snapshots_.back();
        const Stored* previous = snapshots_.size() >= 2 ? &snapshots_[snapshots_.size() - 2] : nullptr;
        const double ahead = std::min(rt - newest.time, config_.max_extrapolation_s);
        for (const EntityState& e : newest.entities) {
            EntityState moved = e;
            const EntityState* before = previous ? snapshot_find(previous->entities, e.id) : nullptr;
            const double span = previous ? newest.time - previous->time : 0.0;
            if (before != nullptr && span > 0.0 &&
                snapshot_distance(before->position, e.position) <= config_.teleport_distance) {
                const auto k = static_cast<float>(ahead / span);
                moved.position.x += (e.position.x - before->position.x) * k;
                moved.position.y += (e.position.y - before->position.y) * k;
                moved.position.z += (e.position.z - before->position.z) * k;
            }
            out.push_back(moved);
        }
        return out;
    }
    const Stored& to = *after;
    const Stored& from = *(after - 1);
    const auto alpha = static_cast<float>((rt - from.time) / (to.time - from.time));
    // Entities in `from`: interpolated toward `to`, or held if they vanish at `to`.
    // Entities only in `to` appear when the render time reaches `to`.
    for (const EntityState& a : from.entities) {
        const EntityState* b = snapshot_find(to.entities, a.id);
        if (b == nullptr) {
            out.push_back(a);
        } else if (snapshot_distance(a.position, b->position) > config_.teleport_distance) {
            out.push_back(*b);
        } else {
            out.push_back(snapshot_lerp(a, *b, alpha));
        }
    }
    return out;
}

std::optional<EntityState> SnapshotBuffer::sample_entity(std::uint32_t id) const {
    const std::vector<EntityState> all = sample();
    const EntityState* found = snapshot_find(all, id);
    return found ? std::optional<EntityState>(*found) : std::nullopt;
}

}  // namespace tower
