// Engine-free core of the TowerGame plugin: what the glue decides about where to connect
// and as whom, before anything reaches the network. Plain C++17, no Unreal headers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tower {

// "host:port" for tower_client_connect. An IPv6 literal gets brackets ("[::1]:4433");
// host names and IPv4 literals are passed through (the library resolves names off the
// caller's thread). nullopt when the host is empty, too long for DNS (253 bytes), holds
// whitespace, control characters or brackets other than one pair around it, or the port
// is 0.
std::optional<std::string> format_server_address(std::string_view host, std::uint16_t port);

// The library's fingerprint rule (client/src/tls.rs CertFingerprint::parse): surrounding
// whitespace trimmed, ':' separators dropped, then exactly 64 hex digits. Returns the 64
// digits in lower case, or nullopt.
std::optional<std::string> normalize_fingerprint(std::string_view text);

// Nakama's rule for device ids (AuthenticateDevice): 10 to 128 bytes.
constexpr std::size_t kDeviceIdMinBytes = 10;
constexpr std::size_t kDeviceIdMaxBytes = 128;

// Empty when `device_id` is acceptable; otherwise a sentence saying why not (for the
// failure pin and the log), without echoing the id itself.
std::string device_id_problem(std::string_view device_id);

}  // namespace tower
