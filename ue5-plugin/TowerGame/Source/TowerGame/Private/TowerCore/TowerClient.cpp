// Engine-free core of the TowerGame plugin: RAII over the client half of the C ABI.
#include "TowerCore/TowerClient.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace tower {

namespace {

// NULL for an empty string: the C ABI treats NULL as "not given".
const char* client_opt_cstr(const std::string& s) { return s.empty() ? nullptr : s.c_str(); }

}  // namespace

const RosterEntry* find_roster_entry(const std::vector<RosterEntry>& roster, std::uint32_t entity_id) {
    const auto it = std::lower_bound(roster.begin(), roster.end(), entity_id,
                                     [](const RosterEntry& e, std::uint32_t id) { return e.entity_id < id; });
    return it != roster.end() && it->entity_id == entity_id ? &*it : nullptr;
}

std::string event_message(const TowerEvent& event) {
    const std::size_t n = strnlen(event.message, sizeof event.message);
    return std::string(event.message, n);
}

Result<Client> Client::connect(const ConnectOptions& options) {
    TowerConnectOptions raw{};
    raw.server_address = options.server_address.c_str();
    raw.cert_fingerprint = options.cert_fingerprint.c_str();
    raw.dev_name = client_opt_cstr(options.dev_name);
    raw.ticket = client_opt_cstr(options.ticket);
    raw.resume_token = options.resume_token.empty() ? nullptr : options.resume_token.data();
    raw.resume_token_len = options.resume_token.size();
    TowerClientHandle handle{0};
    const TowerStatus status = tower_client_connect(&raw, &handle);
    if (status != TOWER_STATUS_OK) {
        return error_from(status);
    }
    return Client(handle);
}

Client::Client(Client&& other) noexcept : handle_(other.handle_) { other.handle_.id = 0; }

Client& Client::operator=(Client&& other) noexcept {
    if (this != &other) {
        reset();
        handle_ = other.handle_;
        other.handle_.id = 0;
    }
    return *this;
}

Client::~Client() { reset(); }

void Client::reset() {
    if (handle_.id != 0) {
        (void)tower_client_free(handle_);
        handle_.id = 0;
    }
}

Result<std::optional<TowerEvent>> Client::poll_event() {
    TowerEvent event{};
    const TowerStatus status = tower_client_poll_event(handle_, &event);
    if (status != TOWER_STATUS_OK) {
        return error_from(status);
    }
    if (event.kind == TOWER_EVENT_KIND_NONE) {
        return std::optional<TowerEvent>();
    }
    return std::optional<TowerEvent>(event);
}

Status Client::send_input(float move_x, float move_y, bool attack) {
    TowerInput input{};
    input.move_x = move_x;
    input.move_y = move_y;
    input.buttons = attack ? TOWER_BUTTON_ATTACK : 0u;
    return status_from(tower_client_send_input(handle_, &input));
}

Result<double> Client::time() const {
    double now = 0.0;
    const TowerStatus status = tower_client_time(handle_, &now);
    if (status != TOWER_STATUS_OK) {
        return error_from(status);
    }
    return now;
}

Result<std::vector<TowerEntity>> Client::entities(std::optional<double> render_time) const {
    double at = 0.0;
    if (render_time) {
        at = *render_time;
    } else {
        Result<double> now = time();
        if (!now.ok()) {
            return now.error();
        }
        at = now.value();
    }
    std::vector<TowerEntity> out;
    std::size_t needed = 0;
    // Entities come and go between the two calls: retry a few times if the count grew.
    for (int attempt = 0; attempt < 4; ++attempt) {
        const TowerStatus status = tower_client_entities(handle_, at, out.data(), out.size(), &needed);
        if (status == TOWER_STATUS_OK) {
            out.resize(needed);
            return out;
        }
        if (status != TOWER_STATUS_BUFFER_TOO_SMALL) {
            return error_from(status);
        }
        out.resize(needed + 8);
    }
    return error_from(TOWER_STATUS_BUFFER_TOO_SMALL);
}

Result<TilePosition> Client::predicted_position() const {
    TilePosition p;
    const TowerStatus status = tower_client_predicted_position(handle_, &p.x, &p.y);
    if (status != TOWER_STATUS_OK) {
        return error_from(status);
    }
    return p;
}

Result<std::uint32_t> Client::entity_id() const {
    std::uint32_t id = 0;
    const TowerStatus status = tower_client_entity_id(handle_, &id);
    if (status != TOWER_STATUS_OK) {
        return error_from(status);
    }
    return id;
}

Result<std::vector<RosterEntry>> Client::roster() const {
    std::vector<TowerRosterEntry> raw;
    std::size_t needed = 0;
    // The roster changes only with a ROSTER event, but retry a few times like entities().
    for (int attempt = 0; attempt < 4; ++attempt) {
        const TowerStatus status = tower_client_roster(handle_, raw.data(), raw.size(), &needed);
        if (status == TOWER_STATUS_OK) {
            raw.resize(needed);
            std::vector<RosterEntry> out;
            out.reserve(raw.size());
            for (const TowerRosterEntry& e : raw) {
                out.push_back(RosterEntry{e.entity_id, std::string(e.name, strnlen(e.name, sizeof e.name)),
                                          std::string(e.guild, strnlen(e.guild, sizeof e.guild))});
            }
            return out;
        }
        if (status != TOWER_STATUS_BUFFER_TOO_SMALL) {
            return error_from(status);
        }
        raw.resize(needed + 8);
    }
    return error_from(TOWER_STATUS_BUFFER_TOO_SMALL);
}

Result<std::vector<std::uint8_t>> Client::resume_token() const {
    std::vector<std::uint8_t> token;
    std::size_t needed = 0;
    TowerStatus status = tower_client_resume_token(handle_, nullptr, 0, &needed);
    if (status == TOWER_STATUS_BUFFER_TOO_SMALL) {
        // The token only changes with a Welcome, which needs a poll_event in between.
        token.resize(needed);
        status = tower_client_resume_token(handle_, token.data(), token.size(), &needed);
    }
    if (status != TOWER_STATUS_OK) {
        return error_from(status);
    }
    token.resize(needed);
    return token;
}

Result<Floor> Client::current_floor() const {
    TowerFloorHandle floor{0};
    const TowerStatus status = tower_client_floor(handle_, &floor);
    if (status != TOWER_STATUS_OK) {
        return error_from(status);
    }
    return Floor::adopt(floor);
}

Result<bool> Client::is_closed() const {
    std::uint8_t closed = 0;
    const TowerStatus status = tower_client_is_closed(handle_, &closed);
    if (status != TOWER_STATUS_OK) {
        return error_from(status);
    }
    return closed != 0;
}

Status Client::disconnect() { return status_from(tower_client_disconnect(handle_)); }

}  // namespace tower
