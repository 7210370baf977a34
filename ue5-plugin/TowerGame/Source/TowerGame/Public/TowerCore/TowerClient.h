// Engine-free core of the TowerGame plugin: RAII over the client half of the C ABI.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "TowerCore/Result.h"
#include "TowerCore/TowerFfi.h"
#include "TowerFfiHeader.h"

namespace tower {

struct ConnectOptions {
    // "host:port", "IP:port" or "[IPv6]:port"; the library resolves a host name on its own
    // thread (never the caller's) and reports failures as a DISCONNECTED event.
    std::string server_address;
    // SHA-256 of the server certificate: 64 hex digits, either case, ':' separators allowed.
    std::string cert_fingerprint;
    // Exactly one login: a dev name, or a Nakama ticket (never the Nakama session token:
    // a game server must not hold a credential for the player's account).
    std::string dev_name;
    std::string ticket;
    // From resume_token() of an earlier connection: reclaims its session (floor, position)
    // while the server still holds it. Empty for a fresh login.
    std::vector<std::uint8_t> resume_token;
};

// Who is behind a player entity id: from the roster (snapshots carry ids only).
struct RosterEntry {
    std::uint32_t entity_id = 0;
    std::string name;
    std::string guild;  // empty: no guild
};

// The entry for `entity_id` in a roster sorted by id (as Client::roster returns it), or
// nullptr.
const RosterEntry* find_roster_entry(const std::vector<RosterEntry>& roster, std::uint32_t entity_id);

// Position in tiles (x east along world +X, y along world +Y).
struct TilePosition {
    float x = 0.0f;
    float y = 0.0f;
};

// Owns one TowerClientHandle; frees it exactly once. Move-only. Every method returns at
// once: the connection runs on the library's own threads.
class Client {
public:
    static Result<Client> connect(const ConnectOptions& options);

    Client(Client&& other) noexcept;
    Client& operator=(Client&& other) noexcept;
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;
    ~Client();

    TowerClientHandle handle() const { return handle_; }

    // The next event, or nullopt when none is pending.
    Result<std::optional<TowerEvent>> poll_event();
    Status send_input(float move_x, float move_y, bool attack);
    // Seconds on the library clock that tower_client_entities uses.
    Result<double> time() const;
    // Entities interpolated at `render_time` (library clock); at time() when omitted.
    Result<std::vector<TowerEntity>> entities(std::optional<double> render_time = std::nullopt) const;
    // TOWER_STATUS_NOT_READY before admission to a floor.
    Result<TilePosition> predicted_position() const;
    Result<std::uint32_t> entity_id() const;
    // The players on the current floor, sorted by entity id; refresh after ROSTER events.
    Result<std::vector<RosterEntry>> roster() const;
    // The token of the last Welcome, still readable after DISCONNECTED; NOT_READY before.
    Result<std::vector<std::uint8_t>> resume_token() const;
    // The floor the library regenerated and proved (a new, owned handle).
    Result<Floor> current_floor() const;
    Result<bool> is_closed() const;
    Status disconnect();

private:
    explicit Client(TowerClientHandle handle) : handle_(handle) {}
    void reset();

    TowerClientHandle handle_{0};
};

// The message of an event as a std::string (bounded by the fixed-size array).
std::string event_message(const TowerEvent& event);

}  // namespace tower
