// Engine-free core of the TowerGame plugin: network statistics as one line of text.
#include "TowerCore/NetStats.h"

#include <cstdio>

namespace tower {

namespace {

std::string net_stats_seconds(double seconds) {
    if (!(seconds >= 0.0)) {
        return "-";
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", seconds);
    return buf;
}

}  // namespace

const char* phase_name(ConnectionPhase phase) {
    switch (phase) {
        case ConnectionPhase::Idle: return "idle";
        case ConnectionPhase::Connecting: return "connecting";
        case ConnectionPhase::Welcomed: return "welcomed";
        case ConnectionPhase::OnFloor: return "on-floor";
        case ConnectionPhase::Closing: return "closing";
    }
    return "unknown";
}

std::string format_net_stats(const NetStats& stats) {
    std::string out = "Tower: ";
    out += phase_name(stats.phase);
    if (stats.phase == ConnectionPhase::Idle) {
        out += " (not connected)";
        return out;
    }
    out += " " + (stats.server_address.empty() ? std::string("?") : stats.server_address);
    if (stats.entity_id != 0) {
        out += " player " + std::to_string(stats.entity_id);
    }
    if (stats.phase == ConnectionPhase::OnFloor) {
        out += " floor " + std::to_string(stats.floor) + " seed " + std::to_string(stats.seed);
    }
    out += " | entities " + std::to_string(stats.entities_in_view);
    out += " | events " + std::to_string(stats.events_total) + " (entity events " +
           std::to_string(stats.entity_events_total) + ")";
    out += " | up " + net_stats_seconds(stats.connected_seconds) + ", last event " +
           net_stats_seconds(stats.seconds_since_event) + " ago";
    return out;
}

}  // namespace tower
