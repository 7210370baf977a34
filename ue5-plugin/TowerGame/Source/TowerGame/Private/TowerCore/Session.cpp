// Engine-free core of the TowerGame plugin: one play session over the C ABI.
#include "TowerCore/Session.h"

#include <cmath>
#include <string>
#include <utility>

#include "TowerCore/Endpoint.h"

namespace tower {

namespace {

Status session_refusal(TowerStatus status, std::string message) {
    Error error;
    error.status = status;
    error.message = std::move(message);
    return Status(std::move(error));
}

}  // namespace

Session::Session(SessionOptions options)
    : options_(options),
      planner_(options.reconnect),
      jitter_state_(options.jitter_seed),
      tracker_(options.move_epsilon_tiles) {}

Session::~Session() { shutdown(); }

Status Session::connect(const SessionLogin& login, double now) {
    if (shut_down_) {
        return session_refusal(TOWER_STATUS_CLOSED, "Tower: this session was shut down; make a new one to connect");
    }
    if (!normalize_fingerprint(login.cert_fingerprint)) {
        return session_refusal(TOWER_STATUS_INVALID_ARGUMENT,
                               "Tower: the server fingerprint must be 64 hex digits (':' separators allowed); "
                               "the dev server writes it to tower-server-cert/cert.sha256");
    }
    if (login.dev_name.empty() == login.ticket.empty()) {
        return session_refusal(TOWER_STATUS_INVALID_ARGUMENT,
                               login.dev_name.empty()
                                   ? "Tower: a login needs a dev name (dev servers) or a match ticket (Nakama)"
                                   : "Tower: a login takes a dev name or a match ticket, not both");
    }
    const Status started = open(login, std::vector<std::uint8_t>(), now);
    if (!started.ok()) {
        return started;  // the current connection, if any, goes on untouched
    }
    // A login the game asked for: a fresh session, a fresh retry count.
    resume_at_.reset();
    resume_token_.clear();
    planner_ = ReconnectPlanner(options_.reconnect);
    return started;
}

Status Session::open(const SessionLogin& login, const std::vector<std::uint8_t>& token, double now) {
    ConnectOptions connect_options;
    connect_options.server_address = login.server_address;
    connect_options.cert_fingerprint = login.cert_fingerprint;
    connect_options.dev_name = login.dev_name;
    connect_options.ticket = login.ticket;
    connect_options.resume_token = token;
    Result<Client> connected = Client::connect(connect_options);
    if (!connected.ok()) {
        return Status(connected.error());
    }
    // The library closes a replaced connection in the background: this never blocks.
    release_connection();
    client_.emplace(std::move(connected).value());
    login_ = login;
    connected_at_ = now;
    return Status();
}

Status Session::leave() {
    resume_at_.reset();
    if (!client_ || closing_) {
        return Status();
    }
    if (!welcomed_) {
        // No session on the server yet: end the attempt now instead of waiting out the
        // handshake (the library reports it only at its connect timeout). Freeing the handle
        // closes it in the background. LEFT schedules nothing, so no time is needed.
        closing_ = true;
        on_connection_over(TOWER_DISCONNECT_LEFT, "Tower: left before the server answered", 0.0);
        return Status();
    }
    const Status left = client_->disconnect();
    if (left.ok()) {
        closing_ = true;  // DISCONNECTED arrives through tick()
    }
    return left;
}

void Session::cancel_resume() { resume_at_.reset(); }

void Session::shutdown() {
    shut_down_ = true;
    resume_at_.reset();
    resume_token_.clear();
    release_connection();
    pending_.clear();  // nobody is listening any more
}

Status Session::send_input(float move_x, float move_y, bool attack) {
    if (!std::isfinite(move_x) || !std::isfinite(move_y)) {
        return session_refusal(TOWER_STATUS_INVALID_ARGUMENT, "Tower: input axes must be finite numbers");
    }
    if (!client_ || closing_) {
        return Status();
    }
    Status sent = client_->send_input(move_x, move_y, attack);
    if (!sent.ok() && sent.error().status == TOWER_STATUS_CLOSED) {
        return Status();  // the connection just ended; DISCONNECTED is on its way
    }
    return sent;
}

std::vector<SessionEvent> Session::tick(double now) {
    if (shut_down_) {
        return {};
    }
    if (!client_ && resume_at_ && now >= *resume_at_) {
        resume_at_.reset();
        const std::uint32_t attempt = planner_.attempts();
        const Status started = open(login_, resume_token_, now);
        if (started.ok()) {
            pending_.emplace_back(ResumeStarted{attempt});
        } else {
            // Refused before any network activity (the login itself is bad): nothing to retry.
            resume_token_.clear();
            planner_ = ReconnectPlanner(options_.reconnect);
            pending_.emplace_back(ResumeAbandoned{
                SessionError{ErrorOrigin::Library, started.error().status, started.error().message}});
        }
    }
    if (client_) {
        drain_events(now);
    }
    if (client_) {
        sample_entities();
    }
    return std::exchange(pending_, std::vector<SessionEvent>());
}

void Session::drain_events(double now) {
    for (std::size_t handled = 0; handled < options_.max_events_per_tick && client_; ++handled) {
        Result<std::optional<TowerEvent>> polled = client_->poll_event();
        if (!polled.ok()) {
            const Error failed = polled.error();
            report_error(ErrorOrigin::Library, failed.status, "Tower: reading the connection's events failed: " + failed.message);
            on_connection_over(TOWER_DISCONNECT_PROTOCOL_ERROR, failed.message, now);
            return;
        }
        if (!polled.value()) {
            return;
        }
        const TowerEvent event = *polled.value();
        ++events_total_;
        last_event_at_ = now;
        on_event(event, now);
    }
}

void Session::on_event(const TowerEvent& event, double now) {
    switch (event.kind) {
        case TOWER_EVENT_KIND_WELCOME: {
            welcomed_ = true;
            entity_id_ = event.entity_id;
            planner_.on_welcome();
            Result<std::vector<std::uint8_t>> token = client_->resume_token();
            if (token.ok()) {
                resume_token_ = std::move(token).value();
            }
            pending_.emplace_back(Welcomed{event.entity_id, event.tick_rate_hz, event.resumed != 0, event_message(event)});
            break;
        }
        case TOWER_EVENT_KIND_FLOOR_ENTERED:
            on_floor_entered(event);
            break;
        case TOWER_EVENT_KIND_FLOOR_ADMITTED:
            on_floor_ = true;
            pending_.emplace_back(FloorAdmitted{event.floor, TilePosition{event.spawn_x, event.spawn_y}});
            break;
        case TOWER_EVENT_KIND_ROSTER: {
            Result<std::vector<RosterEntry>> entries = client_->roster();
            if (!entries.ok()) {
                report_error(ErrorOrigin::Library, entries.error().status,
                             "Tower: reading the roster failed: " + entries.error().message);
                break;
            }
            roster_ = std::move(entries).value();
            pending_.emplace_back(RosterChanged{roster_.size()});
            break;
        }
        case TOWER_EVENT_KIND_SERVER_ERROR:
            report_error(ErrorOrigin::Server, event.error_code, event_message(event));
            break;
        case TOWER_EVENT_KIND_DISCONNECTED:
            on_connection_over(event.disconnect_reason, event_message(event), now);
            break;
        default:
            break;  // CONNECTED, and kinds a newer library may add
    }
}

void Session::on_floor_entered(const TowerEvent& event) {
    // A new floor: the old one and everything seen on it are gone, whatever comes next.
    on_floor_ = false;
    clear_entities();
    floor_.reset();
    layout_.reset();
    if (event.hash_matches == 0) {
        // The server will refuse the proof; say why from this side too.
        report_error(ErrorOrigin::Library, TOWER_STATUS_HASH_MISMATCH,
                     "Tower: floor " + std::to_string(event.floor) + " of seed " + std::to_string(event.seed) +
                         " regenerated with a different hash than the server's (generator " +
                         std::to_string(tower_generator_version()) + " here, " +
                         std::to_string(event.generator_version) + " there)");
        return;
    }
    Result<Floor> proved = client_->current_floor();
    if (!proved.ok()) {
        report_error(ErrorOrigin::Library, proved.error().status,
                     "Tower: reading the proved floor failed: " + proved.error().message);
        return;
    }
    Result<FloorLayout> layout = proved.value().layout();
    if (!layout.ok()) {
        report_error(ErrorOrigin::Library, layout.error().status,
                     "Tower: reading the floor's layout failed: " + layout.error().message);
        return;
    }
    floor_.emplace(std::move(proved).value());
    layout_.emplace(std::move(layout).value());
    FloorEntered entered;
    entered.seed = event.seed;
    entered.floor = event.floor;
    entered.generator_version = event.generator_version;
    for (std::size_t i = 0; i < entered.hash.size(); ++i) {
        entered.hash[i] = event.hash[i];
    }
    pending_.emplace_back(entered);
}

void Session::on_connection_over(std::uint8_t reason, std::string message, double now) {
    // After leave() nothing reconnects, whatever the library reports (a drop can race the
    // Leave).
    const std::uint8_t planned = closing_ ? static_cast<std::uint8_t>(TOWER_DISCONNECT_LEFT) : reason;
    release_connection();
    Disconnected over;
    over.reason = reason;
    over.message = std::move(message);
    over.next = planner_.on_disconnect(planned, !resume_token_.empty(), next_jitter());
    if (over.next.action == ReconnectAction::Resume) {
        resume_at_ = now + over.next.delay_seconds;
        over.resume_at = resume_at_;
    } else {
        resume_token_.clear();  // refused, or useless on another server
    }
    pending_.emplace_back(std::move(over));
}

void Session::sample_entities() {
    Result<std::vector<TowerEntity>> sampled = client_->entities();
    if (!sampled.ok()) {
        return;  // NOT_READY before the first snapshot: keep what we have
    }
    const std::optional<std::uint32_t> own =
        entity_id_ != 0 ? std::optional<std::uint32_t>(entity_id_) : std::nullopt;
    sort_entities(sampled.value(), own, entities_);
    const std::vector<EntityEvent> changes = tracker_.update(entities_);
    entity_events_total_ += changes.size();
    for (const EntityEvent& change : changes) {
        pending_.emplace_back(change);
    }
}

void Session::clear_entities() {
    for (const EntityEvent& removed : tracker_.clear()) {
        pending_.emplace_back(removed);
    }
    entities_.clear();
}

void Session::release_connection() {
    clear_entities();
    client_.reset();
    floor_.reset();
    layout_.reset();
    roster_.clear();
    entity_id_ = 0;
    welcomed_ = false;
    on_floor_ = false;
    closing_ = false;
    connected_at_.reset();
    last_event_at_.reset();
}

void Session::report_error(ErrorOrigin origin, std::int32_t code, std::string message) {
    pending_.emplace_back(SessionError{origin, code, std::move(message)});
}

double Session::next_jitter() {
    // splitmix64: a small, well-mixed generator; the top 53 bits make a double in [0, 1).
    jitter_state_ += 0x9E3779B97F4A7C15ull;
    std::uint64_t z = jitter_state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return static_cast<double>(z >> 11) * 0x1.0p-53;
}

ConnectionPhase Session::phase() const {
    if (!client_) return ConnectionPhase::Idle;
    if (closing_) return ConnectionPhase::Closing;
    if (on_floor_) return ConnectionPhase::OnFloor;
    if (welcomed_) return ConnectionPhase::Welcomed;
    return ConnectionPhase::Connecting;
}

Result<TilePosition> Session::predicted_position() const {
    if (!client_) {
        Error error;
        error.status = TOWER_STATUS_NOT_READY;
        error.message = "Tower: not connected";
        return error;
    }
    return client_->predicted_position();
}

const TowerEntity* Session::find_entity(std::uint32_t entity_id) const {
    return find_sorted_entity(entities_, entity_id);
}

const RosterEntry* Session::roster_entry(std::uint32_t entity_id) const {
    return find_roster_entry(roster_, entity_id);
}

const Floor* Session::current_floor() const { return floor_ ? &*floor_ : nullptr; }

const FloorLayout* Session::floor_layout() const { return layout_ ? &*layout_ : nullptr; }

NetStats Session::net_stats(double now) const {
    NetStats stats;
    stats.phase = phase();
    stats.server_address = login_.server_address;
    stats.entity_id = entity_id_;
    if (layout_) {
        stats.seed = layout_->info.seed;
        stats.floor = layout_->info.floor;
    }
    stats.events_total = events_total_;
    stats.entity_events_total = entity_events_total_;
    stats.entities_in_view = static_cast<std::uint32_t>(entities_.size());
    stats.connected_seconds = connected_at_ ? now - *connected_at_ : -1.0;
    stats.seconds_since_event = last_event_at_ ? now - *last_event_at_ : -1.0;
    return stats;
}

}  // namespace tower
