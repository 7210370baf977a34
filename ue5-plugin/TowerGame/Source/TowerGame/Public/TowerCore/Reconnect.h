// Engine-free core of the TowerGame plugin: what to do after a DISCONNECTED event, from its
// `disconnect_reason` (TOWER_DISCONNECT_*), with bounded retries and exponential backoff.
// Plain C++, no Unreal headers; the subsystem follows the decision.
#pragma once

#include <cstdint>

namespace tower {

enum class ReconnectAction : std::uint8_t {  // values mirrored by ETowerReconnectAction
    // Connect to the same server again with the resume token: the session (floor,
    // position) is held there for a while after a drop.
    Resume = 0,
    // Ask the matchmaker for a server again (this one is full or going away; the
    // player's state was saved).
    Requeue = 1,
    // Log in afresh: the credentials or the resume token were refused.
    LoginAgain = 2,
    // Stop: the player left, another login replaced this one, the build is incompatible,
    // a protocol bug, or the retries are used up.
    GiveUp = 3,
};

const char* reconnect_action_name(ReconnectAction action);

// What the reason alone asks for; Resume only when a resume token is at hand (otherwise
// LoginAgain). Unknown reasons (a newer library) give up.
ReconnectAction action_for_reason(std::uint8_t disconnect_reason, bool has_resume_token);

struct ReconnectPolicy {
    // Attempts in a row without a Welcome in between; the next disconnect gives up.
    std::uint32_t max_attempts = 5;
    double first_delay_seconds = 0.5;
    double max_delay_seconds = 8.0;
};

struct ReconnectDecision {
    ReconnectAction action = ReconnectAction::GiveUp;
    // Wait this long before acting (0 for GiveUp).
    double delay_seconds = 0.0;
    // 1 for the first attempt after a working connection; 0 for GiveUp.
    std::uint32_t attempt = 0;
};

// Counts the attempts of one play session. Call on_disconnect for every DISCONNECTED and
// on_welcome for every WELCOME (a working connection resets the count).
class ReconnectPlanner {
public:
    explicit ReconnectPlanner(ReconnectPolicy policy = ReconnectPolicy{}) : policy_(policy) {}

    // `jitter` in [0, 1] spreads the delay over [delay/2, delay], so many clients dropped
    // at once (a server restart) do not come back in the same instant; clamped.
    ReconnectDecision on_disconnect(std::uint8_t disconnect_reason, bool has_resume_token, double jitter = 1.0);
    void on_welcome() { attempts_ = 0; }
    std::uint32_t attempts() const { return attempts_; }

private:
    ReconnectPolicy policy_;
    std::uint32_t attempts_ = 0;
};

}  // namespace tower
