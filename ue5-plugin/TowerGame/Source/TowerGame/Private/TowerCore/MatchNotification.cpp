// Engine-free core of the TowerGame plugin: a small strict JSON reader for one flat object
// and the match-ready rules on top of it.
#include "TowerCore/MatchNotification.h"

#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <utility>

#include "TowerCore/Endpoint.h"

namespace tower {

namespace {

// Nested values are skipped, but never deeper than this.
constexpr int kMatchJsonMaxDepth = 32;

// A top-level member: strings and numbers are kept, anything else only recorded as present.
struct MatchJsonMember {
    enum class Kind { String, Number, Other } kind = Kind::Other;
    std::string text;
    double number = 0.0;
};

class MatchJsonReader {
public:
    explicit MatchJsonReader(std::string_view text) : text_(text) {}

    // Reads `{ "key": value, ... }` followed only by whitespace.
    bool read_object(std::map<std::string, MatchJsonMember>& out) {
        skip_space();
        if (!take('{')) return false;
        skip_space();
        if (!take('}')) {
            for (;;) {
                std::string key;
                skip_space();
                if (!read_string(key)) return false;
                skip_space();
                if (!take(':')) return false;
                skip_space();
                MatchJsonMember member;
                if (!read_member(member)) return false;
                out[key] = std::move(member);  // a repeated key: the last one wins
                skip_space();
                if (take('}')) break;
                if (!take(',')) return false;
            }
        }
        skip_space();
        return pos_ == text_.size();
    }

private:
    bool at_end() const { return pos_ >= text_.size(); }
    char peek() const { return at_end() ? '\0' : text_[pos_]; }
    bool take(char c) {
        if (peek() != c || at_end()) return false;
        ++pos_;
        return true;
    }
    void skip_space() {
        while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) ++pos_;
    }
    bool take_word(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) return false;
        pos_ += word.size();
        return true;
    }

    bool read_member(MatchJsonMember& member) {
        const char c = peek();
        if (c == '"') {
            member.kind = MatchJsonMember::Kind::String;
            return read_string(member.text);
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            member.kind = MatchJsonMember::Kind::Number;
            return read_number(member.number);
        }
        member.kind = MatchJsonMember::Kind::Other;
        return skip_value(1);
    }

    bool skip_value(int depth) {
        if (depth > kMatchJsonMaxDepth) return false;
        skip_space();
        const char c = peek();
        if (c == '"') {
            std::string ignored;
            return read_string(ignored);
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            double ignored = 0.0;
            return read_number(ignored);
        }
        if (c == 't') return take_word("true");
        if (c == 'f') return take_word("false");
        if (c == 'n') return take_word("null");
        if (c == '[' || c == '{') {
            const bool object = c == '{';
            const char close = object ? '}' : ']';
            ++pos_;
            skip_space();
            if (take(close)) return true;
            for (;;) {
                skip_space();
                if (object) {
                    std::string key;
                    if (!read_string(key)) return false;
                    skip_space();
                    if (!take(':')) return false;
                }
                if (!skip_value(depth + 1)) return false;
                skip_space();
                if (take(close)) return true;
                if (!take(',')) return false;
            }
        }
        return false;
    }

    bool read_number(double& out) {
        const std::size_t start = pos_;
        take('-');
        if (!take('0') && !read_digits()) return false;
        if (take('.') && !read_digits()) return false;
        if (peek() == 'e' || peek() == 'E') {
            ++pos_;
            if (!take('+')) take('-');
            if (!read_digits()) return false;
        }
        const std::string literal(text_.substr(start, pos_ - start));
        char* end = nullptr;
        out = std::strtod(literal.c_str(), &end);
        return end == literal.c_str() + literal.size() && std::isfinite(out);
    }

    bool read_digits() {
        const std::size_t start = pos_;
        while (!at_end() && peek() >= '0' && peek() <= '9') ++pos_;
        return pos_ > start;
    }

    bool read_hex4(std::uint32_t& out) {
        out = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = peek();
            std::uint32_t digit = 0;
            if (c >= '0' && c <= '9') {
                digit = static_cast<std::uint32_t>(c - '0');
            } else if (c >= 'a' && c <= 'f') {
                digit = static_cast<std::uint32_t>(c - 'a' + 10);
            } else if (c >= 'A' && c <= 'F') {
                digit = static_cast<std::uint32_t>(c - 'A' + 10);
            } else {
                return false;
            }
            out = out * 16 + digit;
            ++pos_;
        }
        return true;
    }

    static void append_utf8(std::string& out, std::uint32_t cp) {
        if (cp < 0x80) {
            out.push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
            out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else if (cp < 0x10000) {
            out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else {
            out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        }
    }

    bool read_string(std::string& out) {
        if (!take('"')) return false;
        for (;;) {
            if (at_end()) return false;
            const char c = text_[pos_++];
            if (c == '"') return true;
            if (static_cast<unsigned char>(c) < 0x20) return false;
            if (c != '\\') {
                out.push_back(c);
                continue;
            }
            if (at_end()) return false;
            const char e = text_[pos_++];
            switch (e) {
                case '"': out.push_back('"'); break;
                case '\\': out.push_back('\\'); break;
                case '/': out.push_back('/'); break;
                case 'b': out.push_back('\b'); break;
                case 'f': out.push_back('\f'); break;
                case 'n': out.push_back('\n'); break;
                case 'r': out.push_back('\r'); break;
                case 't': out.push_back('\t'); break;
                case 'u': {
                    std::uint32_t cp = 0;
                    if (!read_hex4(cp)) return false;
                    if (cp >= 0xD800 && cp <= 0xDBFF) {
                        std::uint32_t low = 0;
                        if (!take('\\') || !take('u') || !read_hex4(low) || low < 0xDC00 || low > 0xDFFF) {
                            return false;
                        }
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                        return false;
                    }
                    append_utf8(out, cp);
                    break;
                }
                default: return false;
            }
        }
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

Error match_invalid(std::string message) {
    Error error;
    error.status = TOWER_STATUS_INVALID_ARGUMENT;
    error.message = "match notification: " + std::move(message);
    return error;
}

const MatchJsonMember* match_find(const std::map<std::string, MatchJsonMember>& members, const char* key) {
    const auto it = members.find(key);
    return it == members.end() ? nullptr : &it->second;
}

}  // namespace

NotificationKind classify_notification(int code) {
    switch (code) {
        case kNotificationMatchReady: return NotificationKind::MatchReady;
        case kNotificationNoGameServer: return NotificationKind::NoGameServer;
        default: return NotificationKind::Other;
    }
}

Result<MatchTicket> parse_match_ready(std::string_view json) {
    if (json.size() > kMaxNotificationBytes) {
        return match_invalid("content is " + std::to_string(json.size()) + " bytes, more than the 64 KiB accepted");
    }
    std::map<std::string, MatchJsonMember> members;
    MatchJsonReader reader(json);
    if (!reader.read_object(members)) {
        return match_invalid("content is not one JSON object");
    }

    const MatchJsonMember* address = match_find(members, "address");
    if (address == nullptr || address->kind != MatchJsonMember::Kind::String || address->text.empty()) {
        return match_invalid("\"address\" is missing or not a non-empty string");
    }
    const MatchJsonMember* port = match_find(members, "port");
    if (port == nullptr || port->kind != MatchJsonMember::Kind::Number || port->number < 1.0 ||
        port->number > 65535.0 || std::floor(port->number) != port->number) {
        return match_invalid("\"port\" is missing or not an integer from 1 to 65535");
    }
    const MatchJsonMember* fingerprint = match_find(members, "fingerprint");
    std::optional<std::string> pin;
    if (fingerprint != nullptr && fingerprint->kind == MatchJsonMember::Kind::String) {
        pin = normalize_fingerprint(fingerprint->text);
    }
    if (!pin) {
        return match_invalid("\"fingerprint\" is missing or not 64 hex digits (':' separators allowed)");
    }
    const MatchJsonMember* ticket = match_find(members, "ticket");
    if (ticket == nullptr || ticket->kind != MatchJsonMember::Kind::String || ticket->text.empty()) {
        return match_invalid("\"ticket\" is missing or not a non-empty string");
    }

    MatchTicket out;
    out.port = static_cast<std::uint16_t>(port->number);
    std::optional<std::string> server = format_server_address(address->text, out.port);
    if (!server) {
        return match_invalid("\"address\" is not a usable host (empty, too long, or has spaces or control characters)");
    }
    out.server_address = std::move(*server);
    out.host = address->text;
    out.fingerprint = std::move(*pin);
    out.ticket = ticket->text;
    return out;
}

}  // namespace tower
