// Engine-free core of the TowerGame plugin: the Nakama notifications the Tower matchmaker
// module sends (nakama/modules/tower_matchmaker.lua), read without Unreal's JSON classes so
// the rules are tested here. Plain C++17, no Unreal headers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "TowerCore/Result.h"

namespace tower {

// Notification codes of nakama/modules/tower_matchmaker.lua.
constexpr int kNotificationMatchReady = 100;
constexpr int kNotificationNoGameServer = 101;

enum class NotificationKind {
    MatchReady,    // code 100: {address, port, fingerprint, ticket, ...}
    NoGameServer,  // code 101: matched, but no live game server has room for the whole match
    Other,         // not ours (friend requests, guild messages, ...)
};

NotificationKind classify_notification(int code);

// Where to connect and with which credential, from a code-100 notification.
struct MatchTicket {
    std::string server_address;  // "host:port", IPv6 literals bracketed
    std::string host;            // as sent (a host name or an IP literal)
    std::uint16_t port = 0;
    std::string fingerprint;     // 64 lower-case hex digits
    std::string ticket;          // the signed match ticket (opaque here)
};

// Content is bounded (Nakama caps notification content far below this).
constexpr std::size_t kMaxNotificationBytes = 64 * 1024;

// Parses the JSON content of a code-100 notification. Unknown fields are ignored; the four
// fields above are required with the right types (port an integer 1..65535, fingerprint in
// either form the library accepts). Errors are TOWER_STATUS_INVALID_ARGUMENT with a message
// that names the field, never the ticket.
Result<MatchTicket> parse_match_ready(std::string_view json);

}  // namespace tower
