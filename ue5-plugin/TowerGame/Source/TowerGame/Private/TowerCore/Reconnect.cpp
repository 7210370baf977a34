// Engine-free core of the TowerGame plugin: the reconnect decision after a disconnect.
#include "TowerCore/Reconnect.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "TowerFfiHeader.h"

namespace tower {

const char* reconnect_action_name(ReconnectAction action) {
    switch (action) {
        case ReconnectAction::Resume: return "resume";
        case ReconnectAction::Requeue: return "requeue";
        case ReconnectAction::LoginAgain: return "login again";
        case ReconnectAction::GiveUp: return "give up";
    }
    return "unknown";
}

ReconnectAction action_for_reason(std::uint8_t disconnect_reason, bool has_resume_token) {
    switch (disconnect_reason) {
        case TOWER_DISCONNECT_CONNECTION_LOST:
        case TOWER_DISCONNECT_SERVER_CLOSED:
            return has_resume_token ? ReconnectAction::Resume : ReconnectAction::LoginAgain;
        case TOWER_DISCONNECT_SERVER_SHUTDOWN:
        case TOWER_DISCONNECT_SERVER_FULL:
            return ReconnectAction::Requeue;
        case TOWER_DISCONNECT_RESUME_EXPIRED:
        case TOWER_DISCONNECT_AUTH_FAILED:
            return ReconnectAction::LoginAgain;
        default:
            // LEFT, REPLACED, VERSION_MISMATCH, HASH_MISMATCH, PROTOCOL_ERROR, unknown.
            return ReconnectAction::GiveUp;
    }
}

ReconnectDecision ReconnectPlanner::on_disconnect(std::uint8_t disconnect_reason, bool has_resume_token,
                                                  double jitter) {
    const ReconnectAction action = action_for_reason(disconnect_reason, has_resume_token);
    if (action == ReconnectAction::GiveUp || attempts_ >= policy_.max_attempts) {
        attempts_ = 0;
        return ReconnectDecision{};
    }
    ++attempts_;
    // first * 2^(attempt - 1), capped (the exponent too, so it stays finite).
    const std::uint32_t doublings = attempts_ - 1 < 30 ? attempts_ - 1 : 30;
    const double uncapped = policy_.first_delay_seconds * std::exp2(static_cast<double>(doublings));
    const double full = uncapped < policy_.max_delay_seconds ? uncapped : policy_.max_delay_seconds;
    const double spread = std::isnan(jitter) ? 1.0 : std::clamp(jitter, 0.0, 1.0);
    ReconnectDecision decision;
    decision.action = action;
    const double delay = full * (0.5 + 0.5 * spread);
    decision.delay_seconds = delay > 0.0 ? delay : 0.0;
    decision.attempt = attempts_;
    return decision;
}

}  // namespace tower
