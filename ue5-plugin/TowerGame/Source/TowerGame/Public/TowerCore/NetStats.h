// Engine-free core of the TowerGame plugin: the numbers behind the `Tower.NetStats` console
// command and their one-line rendering. Plain C++17, no Unreal headers.
#pragma once

#include <cstdint>
#include <string>

namespace tower {

enum class ConnectionPhase : std::uint8_t {
    Idle,        // no client handle
    Connecting,  // handle made, no Welcome yet
    Welcomed,    // logged in, not yet on a floor
    OnFloor,     // admitted to a floor: snapshots flow
    Closing,     // disconnect asked, DISCONNECTED not yet seen
};

const char* phase_name(ConnectionPhase phase);

struct NetStats {
    ConnectionPhase phase = ConnectionPhase::Idle;
    std::string server_address;
    std::uint32_t entity_id = 0;
    std::uint64_t seed = 0;
    std::uint32_t floor = 0;
    std::uint64_t events_total = 0;
    std::uint64_t entity_events_total = 0;
    std::uint32_t entities_in_view = 0;
    // Seconds since the handle was made (library clock) and since the last event;
    // negative when unknown.
    double connected_seconds = -1.0;
    double seconds_since_event = -1.0;
};

// "Tower: on-floor 127.0.0.1:4433 player 7 floor 3 seed 42 | entities 5 | events 12
//  (entity events 40) | up 12.3 s, last event 0.4 s ago".
std::string format_net_stats(const NetStats& stats);

}  // namespace tower
