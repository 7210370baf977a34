// Engine-free core of the TowerGame plugin: one play session over the C ABI. It owns the
// connection (tower::Client), follows the reconnect policy (tower::ReconnectPlanner), drains
// the library's events, keeps the roster, the proved floor and the entities in view, and
// hands the caller plain events. It never reads a clock: the caller passes "now" (seconds on
// any monotonic clock, e.g. FPlatformTime::Seconds()) to connect() and tick(), as
// quinn-proto takes its timestamps from the caller. The Unreal subsystem only ticks it,
// turns the events into delegates and the state into UE types. Plain C++20, no Unreal
// headers, no exceptions; single-threaded (call it from one thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "TowerCore/EntityEvents.h"
#include "TowerCore/NetStats.h"
#include "TowerCore/Reconnect.h"
#include "TowerCore/Result.h"
#include "TowerCore/TowerClient.h"
#include "TowerCore/TowerFfi.h"
#include "TowerFfiHeader.h"

namespace tower {

// Where to connect and as whom. Exactly one of dev_name (servers in dev auth mode) and
// ticket (from the Nakama matchmaker).
struct SessionLogin {
    std::string server_address;    // "host:port", "IP:port" or "[IPv6]:port"
    std::string cert_fingerprint;  // 64 hex digits, ':' separators allowed
    std::string dev_name;
    std::string ticket;
};

struct SessionOptions {
    ReconnectPolicy reconnect;
    // Seeds the jitter that spreads reconnect delays (many clients dropped at once must not
    // come back in the same instant). Give each session its own, e.g. from the clock.
    std::uint64_t jitter_seed = 0x70776572u;
    // Library events handled per tick() at most: a burst never stalls a frame.
    std::size_t max_events_per_tick = 64;
    // Entity movement below this many tiles is not a change (EntityTracker).
    float move_epsilon_tiles = 0.001f;
};

// Where an error comes from, which says what `code` means.
enum class ErrorOrigin : std::uint8_t {
    Library,  // code is a TowerStatus (TOWER_STATUS_*)
    Server,   // code is the protocol's ErrorCode the server sent
};

// Something failed; the session goes on (a lost connection is a Disconnected event).
struct SessionError {
    ErrorOrigin origin = ErrorOrigin::Library;
    std::int32_t code = 0;
    // Library: a whole sentence, ready for a log line or the screen. Server: the server's
    // own text; show it with the code ("Tower server error 7: ...").
    std::string message;
};

// The server accepted the login (or resumed the earlier session).
struct Welcomed {
    std::uint32_t entity_id = 0;
    std::uint32_t tick_rate_hz = 0;
    bool resumed = false;
    std::string name;  // display name
};

// The server sent a floor, the library regenerated it from (seed, floor) and its hash
// matched the server's; the proof is on its way. floor_layout() and current_floor() now
// describe it. Entities of the previous floor were removed just before.
struct FloorEntered {
    std::uint64_t seed = 0;
    std::uint32_t floor = 0;
    std::uint32_t generator_version = 0;
    FloorHash hash{};
};

// The server checked the proof and placed the player (tiles).
struct FloorAdmitted {
    std::uint32_t floor = 0;
    TilePosition spawn;
};

// The floor's roster changed; roster() holds the new one.
struct RosterChanged {
    std::size_t count = 0;
};

// The connection ended (entities were removed just before). `next` is the reconnect
// policy's decision; with ReconnectAction::Resume the session reconnects by itself at
// `resume_at` (the caller's clock) unless cancel_resume(), leave(), connect() or shutdown()
// comes first. Requeue, LoginAgain and GiveUp are the game's to follow.
struct Disconnected {
    std::uint8_t reason = TOWER_DISCONNECT_LEFT;  // TOWER_DISCONNECT_*
    std::string message;
    ReconnectDecision next;
    std::optional<double> resume_at;
};

// A scheduled resume went out to the network (a Welcome or a Disconnected follows).
struct ResumeStarted {
    std::uint32_t attempt = 0;
};

// A scheduled resume was refused before it reached the network: nothing will retry.
struct ResumeAbandoned {
    SessionError error;
};

// What tick() reports, in the order it happened. Entity events (EntityEvent) come from the
// per-tick sample of the entities in view, without the local player.
using SessionEvent = std::variant<Welcomed, FloorEntered, FloorAdmitted, RosterChanged, EntityEvent, SessionError,
                                  Disconnected, ResumeStarted, ResumeAbandoned>;

class Session {
public:
    explicit Session(SessionOptions options = SessionOptions{});
    // shutdown(): the connection is released and no resume can follow.
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    Session(Session&&) = delete;
    Session& operator=(Session&&) = delete;

    // A login the game asked for: drops any current connection and pending resume, starts
    // a fresh retry count and starts connecting. An error (TOWER_STATUS_INVALID_ARGUMENT
    // for a malformed fingerprint, address or login, TOWER_STATUS_CLOSED after shutdown)
    // means nothing was started; network failures arrive later as Disconnected.
    Status connect(const SessionLogin& login, double now);

    // Leaves politely and cancels a pending resume; Disconnected (TOWER_DISCONNECT_LEFT,
    // GiveUp) follows from tick(), at once when the server has not welcomed us yet. OK when
    // not connected.
    Status leave();

    // Drops a scheduled resume (Disconnected with ReconnectAction::Resume).
    void cancel_resume();

    // Final: releases the connection without events, cancels any resume; afterwards tick()
    // reports nothing and connect() is refused. Idempotent; the destructor calls it.
    void shutdown();

    // The input held from now on (axes in world X/Y, clamped to [-1, 1]). Dropped (OK)
    // when there is no open connection; an error only for a non-finite axis.
    Status send_input(float move_x, float move_y, bool attack);

    // Starts a resume that is due, drains up to max_events_per_tick library events,
    // samples the entities in view, and returns everything that happened since the last
    // call (including what connect() and leave() caused).
    std::vector<SessionEvent> tick(double now);

    ConnectionPhase phase() const;
    bool is_shut_down() const { return shut_down_; }
    bool resume_pending() const { return resume_at_.has_value(); }
    std::optional<double> resume_at() const { return resume_at_; }
    // Attempts since the last Welcome (the ReconnectPlanner's count).
    std::uint32_t reconnect_attempts() const { return planner_.attempts(); }
    // The login of the current (or last) connection.
    const SessionLogin& login() const { return login_; }

    // 0 before the Welcome.
    std::uint32_t local_entity_id() const { return entity_id_; }
    // The own player's predicted position; TOWER_STATUS_NOT_READY before admission.
    Result<TilePosition> predicted_position() const;

    // The entities in view at the last tick (interpolated by the library at its render
    // time), without the local player, sorted by id.
    const std::vector<TowerEntity>& entities() const { return entities_; }
    // One of entities() by id (binary search, no allocation), or nullptr.
    const TowerEntity* find_entity(std::uint32_t entity_id) const;

    // The players on the current floor, sorted by entity id, and one of them by id.
    const std::vector<RosterEntry>& roster() const { return roster_; }
    const RosterEntry* roster_entry(std::uint32_t entity_id) const;

    // The proved floor of the last FloorEntered (nullptr before one): its tiles, entry,
    // stairs and spawns.
    const Floor* current_floor() const;
    const FloorLayout* floor_layout() const;

    // The numbers behind `Tower.NetStats`, at the caller's `now`.
    NetStats net_stats(double now) const;

private:
    Status open(const SessionLogin& login, const std::vector<std::uint8_t>& token, double now);
    void drain_events(double now);
    void on_event(const TowerEvent& event, double now);
    void on_floor_entered(const TowerEvent& event);
    void on_connection_over(std::uint8_t reason, std::string message, double now);
    void sample_entities();
    void clear_entities();
    void release_connection();
    void report_error(ErrorOrigin origin, std::int32_t code, std::string message);
    double next_jitter();

    SessionOptions options_;
    ReconnectPlanner planner_;
    std::uint64_t jitter_state_;
    bool shut_down_ = false;

    // What a resume reconnects with: the last login and its Welcome's token.
    SessionLogin login_;
    std::vector<std::uint8_t> resume_token_;
    std::optional<double> resume_at_;

    // The current connection and what it told us.
    std::optional<Client> client_;
    EntityTracker tracker_;
    std::vector<TowerEntity> entities_;
    std::vector<RosterEntry> roster_;
    std::optional<Floor> floor_;
    std::optional<FloorLayout> layout_;
    std::uint32_t entity_id_ = 0;
    bool welcomed_ = false;
    bool on_floor_ = false;
    bool closing_ = false;

    // For net_stats().
    std::uint64_t events_total_ = 0;
    std::uint64_t entity_events_total_ = 0;
    std::optional<double> connected_at_;
    std::optional<double> last_event_at_;

    std::vector<SessionEvent> pending_;
};

}  // namespace tower
