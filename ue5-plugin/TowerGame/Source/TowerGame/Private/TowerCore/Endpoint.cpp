// Engine-free core of the TowerGame plugin: server address, fingerprint and device id rules.
#include "TowerCore/Endpoint.h"

namespace tower {

namespace {

constexpr std::size_t kEndpointMaxHostBytes = 253;

bool endpoint_is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

bool endpoint_is_control_or_space(char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f || c == ' ';
}

bool endpoint_is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

char endpoint_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::optional<std::string> format_server_address(std::string_view host, std::uint16_t port) {
    if (port == 0 || host.empty() || host.size() > kEndpointMaxHostBytes) {
        return std::nullopt;
    }
    for (char c : host) {
        if (endpoint_is_control_or_space(c)) {
            return std::nullopt;
        }
    }
    const bool bracketed = host.size() > 2 && host.front() == '[' && host.back() == ']';
    // Brackets only as the pair around an IPv6 literal.
    const std::string_view inner = bracketed ? host.substr(1, host.size() - 2) : host;
    if (inner.find_first_of("[]") != std::string_view::npos) {
        return std::nullopt;
    }
    const bool ipv6 = !bracketed && host.find(':') != std::string_view::npos;
    std::string out;
    out.reserve(host.size() + 8);
    if (ipv6) {
        out.push_back('[');
    }
    out.append(host);
    if (ipv6) {
        out.push_back(']');
    }
    out.push_back(':');
    out.append(std::to_string(port));
    return out;
}

std::optional<std::string> normalize_fingerprint(std::string_view text) {
    while (!text.empty() && endpoint_is_space(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && endpoint_is_space(text.back())) {
        text.remove_suffix(1);
    }
    std::string digits;
    digits.reserve(64);
    for (char c : text) {
        if (c == ':') {
            continue;
        }
        if (!endpoint_is_hex(c) || digits.size() == 64) {
            return std::nullopt;
        }
        digits.push_back(endpoint_lower(c));
    }
    if (digits.size() != 64) {
        return std::nullopt;
    }
    return digits;
}

std::string device_id_problem(std::string_view device_id) {
    if (device_id.empty()) {
        return "the device id is empty: Nakama needs 10 to 128 bytes";
    }
    if (device_id.size() < kDeviceIdMinBytes) {
        return "the device id is " + std::to_string(device_id.size()) +
               " bytes long: Nakama needs at least 10";
    }
    if (device_id.size() > kDeviceIdMaxBytes) {
        return "the device id is " + std::to_string(device_id.size()) +
               " bytes long: Nakama accepts at most 128";
    }
    return std::string();
}

}  // namespace tower
