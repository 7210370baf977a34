// The client half of the C ABI from C++: every error path without a server, then the live
// test against a real tower-server in dev mode on a free loopback port: connect, receive a
// floor, prove it, send input, and see the own position change in snapshots.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "TowerCore/TowerClient.h"
#include "live_server.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string last_error() { return tower_last_error(); }

using tower_test::free_port;
using tower_test::ServerProcess;

const std::string kSomeFingerprint(64, 'a');

// Takes every pending event (the live test reads state, not events, at that point).
void drain(tower::Client& client) {
    for (;;) {
        tower::Result<std::optional<TowerEvent>> polled = client.poll_event();
        if (!polled.ok() || !polled.value()) return;
    }
}

// A client connecting to a port nobody listens on: it never gets a Welcome.
tower::Client unanswered_client() {
    tower::ConnectOptions options;
    options.server_address = "127.0.0.1:" + std::to_string(free_port(SOCK_DGRAM));
    options.cert_fingerprint = kSomeFingerprint;
    options.dev_name = "nobody";
    tower::Result<tower::Client> client = tower::Client::connect(options);
    EXPECT_TRUE(client.ok()) << (client.ok() ? "" : client.error().message);
    return std::move(client).value();
}

}  // namespace

TEST(ClientErrors, ConnectRejectsBadOptionsAtOnce) {
    TowerClientHandle h{77};
    EXPECT_EQ(tower_client_connect(nullptr, &h), TOWER_STATUS_NULL_POINTER);
    EXPECT_EQ(h.id, 0u);
    TowerConnectOptions raw{};
    raw.server_address = "127.0.0.1:4433";
    raw.cert_fingerprint = kSomeFingerprint.c_str();
    raw.dev_name = "ann";
    EXPECT_EQ(tower_client_connect(&raw, nullptr), TOWER_STATUS_NULL_POINTER);

    const auto rejects = [](tower::ConnectOptions o, const char* expect) {
        tower::Result<tower::Client> c = tower::Client::connect(o);
        ASSERT_FALSE(c.ok());
        EXPECT_EQ(c.error().status, TOWER_STATUS_INVALID_ARGUMENT);
        EXPECT_NE(c.error().message.find(expect), std::string::npos) << c.error().message;
    };
    tower::ConnectOptions good;
    good.server_address = "127.0.0.1:4433";
    good.cert_fingerprint = kSomeFingerprint;
    good.dev_name = "ann";
    tower::ConnectOptions o = good;
    o.server_address = "tower.example.com";
    rejects(o, "no port");
    o.server_address = "::1:4433";  // IPv6 literals need brackets
    rejects(o, "no port");
    o.server_address = "bad host.example:4433";
    rejects(o, "invalid host name");
    o = good;
    o.cert_fingerprint = "abc";
    rejects(o, "fingerprint");
    o = good;
    o.dev_name.clear();
    rejects(o, "no credentials");
    o = good;
    o.ticket = "t";
    rejects(o, "not both");

    TowerConnectOptions missing{};
    missing.cert_fingerprint = kSomeFingerprint.c_str();
    missing.dev_name = "ann";
    EXPECT_EQ(tower_client_connect(&missing, &h), TOWER_STATUS_NULL_POINTER);
    EXPECT_NE(last_error().find("server_address"), std::string::npos) << last_error();
    const char bad_utf8[] = {'a', static_cast<char>(0xff), 0};
    TowerConnectOptions utf{};
    utf.server_address = "127.0.0.1:4433";
    utf.cert_fingerprint = kSomeFingerprint.c_str();
    utf.dev_name = bad_utf8;
    EXPECT_EQ(tower_client_connect(&utf, &h), TOWER_STATUS_INVALID_ARGUMENT);
    EXPECT_NE(last_error().find("UTF-8"), std::string::npos) << last_error();
}

TEST(ClientErrors, BadHandlesAndDoubleFree) {
    const TowerClientHandle bogus{0xABCDEF12345ull};
    TowerEvent event{};
    TowerInput input{};
    double t = 0;
    float x = 0, y = 0;
    std::uint32_t id = 0;
    std::uint8_t closed = 0;
    std::size_t len = 0;
    TowerFloorHandle floor{0};
    EXPECT_EQ(tower_client_poll_event(bogus, &event), TOWER_STATUS_BAD_HANDLE);
    EXPECT_EQ(tower_client_send_input(bogus, &input), TOWER_STATUS_BAD_HANDLE);
    EXPECT_EQ(tower_client_time(bogus, &t), TOWER_STATUS_BAD_HANDLE);
    EXPECT_EQ(tower_client_entities(bogus, 0.0, nullptr, 0, &len), TOWER_STATUS_BAD_HANDLE);
    EXPECT_EQ(tower_client_predicted_position(bogus, &x, &y), TOWER_STATUS_BAD_HANDLE);
    EXPECT_EQ(tower_client_entity_id(bogus, &id), TOWER_STATUS_BAD_HANDLE);
    EXPECT_EQ(tower_client_floor(bogus, &floor), TOWER_STATUS_BAD_HANDLE);
    EXPECT_EQ(tower_client_is_closed(bogus, &closed), TOWER_STATUS_BAD_HANDLE);
    EXPECT_EQ(tower_client_disconnect(bogus), TOWER_STATUS_BAD_HANDLE);
    EXPECT_EQ(tower_client_free(bogus), TOWER_STATUS_BAD_HANDLE);

    // A floor handle is not a client handle, and vice versa.
    TowerFloorHandle real_floor{0};
    ASSERT_EQ(tower_floor_generate(1, 1, &real_floor), TOWER_STATUS_OK);
    EXPECT_EQ(tower_client_free(TowerClientHandle{real_floor.id}), TOWER_STATUS_BAD_HANDLE);
    EXPECT_EQ(tower_floor_free(real_floor), TOWER_STATUS_OK);

    tower::Client client = unanswered_client();
    const TowerClientHandle raw = client.handle();
    EXPECT_EQ(tower_floor_free(TowerFloorHandle{raw.id}), TOWER_STATUS_BAD_HANDLE);
    EXPECT_EQ(tower_client_free(raw), TOWER_STATUS_OK);
    EXPECT_EQ(tower_client_free(raw), TOWER_STATUS_BAD_HANDLE);  // double free: reported, harmless
    EXPECT_FALSE(client.poll_event().ok());                       // the wrapper sees it gone too
}

// Freeing a connection that is still being set up returns at once: before the fix the
// library waited up to 300 ms for the close on the caller's (game) thread.
TEST(ClientErrors, FreeNeverBlocksTheCaller) {
    std::optional<tower::Client> client(unanswered_client());
    std::this_thread::sleep_for(20ms);  // the handshake is under way
    const auto started = Clock::now();
    client.reset();
    const auto took = Clock::now() - started;
    EXPECT_LT(took, 50ms) << "tower_client_free blocked for "
                          << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
}

TEST(Roster, FindsEntriesByIdInASortedRoster) {
    const std::vector<tower::RosterEntry> roster = {{2, "ann", ""}, {5, "bob", "owls"}, {9, "cy", "owls"}};
    ASSERT_NE(tower::find_roster_entry(roster, 5), nullptr);
    EXPECT_EQ(tower::find_roster_entry(roster, 5)->guild, "owls");
    EXPECT_EQ(tower::find_roster_entry(roster, 9)->name, "cy");
    EXPECT_EQ(tower::find_roster_entry(roster, 3), nullptr);
    EXPECT_EQ(tower::find_roster_entry(roster, 10), nullptr);
    EXPECT_EQ(tower::find_roster_entry({}, 1), nullptr);
}

TEST(ClientErrors, NullsNotReadyAndBadArguments) {
    tower::Client client = unanswered_client();
    const TowerClientHandle h = client.handle();
    EXPECT_EQ(tower_client_poll_event(h, nullptr), TOWER_STATUS_NULL_POINTER);
    EXPECT_EQ(tower_client_send_input(h, nullptr), TOWER_STATUS_NULL_POINTER);
    EXPECT_EQ(tower_client_time(h, nullptr), TOWER_STATUS_NULL_POINTER);
    float x = 0;
    EXPECT_EQ(tower_client_predicted_position(h, &x, nullptr), TOWER_STATUS_NULL_POINTER);
    EXPECT_EQ(tower_client_entity_id(h, nullptr), TOWER_STATUS_NULL_POINTER);
    EXPECT_EQ(tower_client_floor(h, nullptr), TOWER_STATUS_NULL_POINTER);
    std::size_t len = 0;
    EXPECT_EQ(tower_client_entities(h, 0.0, nullptr, 3, &len), TOWER_STATUS_NULL_POINTER);
    EXPECT_EQ(tower_client_entities(h, 0.0, nullptr, 0, nullptr), TOWER_STATUS_NULL_POINTER);
    // Lengths are checked before any slice is built from them (issue 8): SIZE_MAX used to
    // abort the host process inside the debug library.
    TowerEntity two[2]{};
    EXPECT_EQ(tower_client_entities(h, 0.0, two, SIZE_MAX, &len), TOWER_STATUS_INVALID_ARGUMENT);
    EXPECT_NE(last_error().find("larger than any buffer"), std::string::npos) << last_error();
    EXPECT_EQ(tower_client_entities(h, 0.0, two, 2, &len), TOWER_STATUS_OK);

    // Nothing answers, so there is no Welcome, no floor and no position yet.
    EXPECT_EQ(client.predicted_position().error().status, TOWER_STATUS_NOT_READY);
    EXPECT_EQ(client.entity_id().error().status, TOWER_STATUS_NOT_READY);
    EXPECT_EQ(client.current_floor().error().status, TOWER_STATUS_NOT_READY);
    EXPECT_NE(last_error().find("not ready"), std::string::npos) << last_error();

    EXPECT_EQ(client.send_input(std::nanf(""), 0.0f, false).error().status, TOWER_STATUS_INVALID_ARGUMENT);
    EXPECT_EQ(client.send_input(std::numeric_limits<float>::infinity(), 0.0f, false).error().status,
              TOWER_STATUS_INVALID_ARGUMENT);
    EXPECT_TRUE(client.send_input(5.0f, -5.0f, true).ok()) << "out-of-range axes are clamped";
    EXPECT_EQ(client.entities(-1.0).error().status, TOWER_STATUS_INVALID_ARGUMENT);
    EXPECT_EQ(client.entities(std::nan("")).error().status, TOWER_STATUS_INVALID_ARGUMENT);
    tower::Result<std::vector<tower::RosterEntry>> nobody = client.roster();
    ASSERT_TRUE(nobody.ok()) << nobody.error().message;
    EXPECT_TRUE(nobody.value().empty());
    TowerRosterEntry roster_buf[1]{};
    EXPECT_EQ(tower_client_roster(h, roster_buf, SIZE_MAX, &len), TOWER_STATUS_INVALID_ARGUMENT);
    EXPECT_EQ(tower_client_roster(h, nullptr, 1, &len), TOWER_STATUS_NULL_POINTER);
    tower::Result<std::vector<TowerEntity>> none = client.entities();
    ASSERT_TRUE(none.ok()) << none.error().message;
    EXPECT_TRUE(none.value().empty());

    const double t0 = client.time().value();
    std::this_thread::sleep_for(20ms);
    EXPECT_GT(client.time().value(), t0);

    EXPECT_TRUE(client.disconnect().ok());
    EXPECT_TRUE(client.disconnect().ok()) << "disconnect is idempotent";
}

TEST(ClientLive, ConnectProveFloorMoveAndSeeItInSnapshots) {
    std::string error;
    std::optional<ServerProcess> server = ServerProcess::start(error);
    ASSERT_TRUE(server.has_value()) << error;

    tower::ConnectOptions options;
    options.server_address = server->address();
    options.cert_fingerprint = server->fingerprint();
    options.dev_name = "cpp-live";
    tower::Result<tower::Client> connected = tower::Client::connect(options);
    ASSERT_TRUE(connected.ok()) << connected.error().message;
    tower::Client client = std::move(connected).value();

    // 1. Handshake and floor: Connected, Welcome, FloorEntered (proved), FloorAdmitted.
    bool saw_connected = false;
    std::optional<TowerEvent> welcome, entered, admitted;
    const auto handshake_deadline = Clock::now() + 30s;
    while (!admitted && Clock::now() < handshake_deadline) {
        tower::Result<std::optional<TowerEvent>> polled = client.poll_event();
        ASSERT_TRUE(polled.ok()) << polled.error().message;
        if (!polled.value()) {
            std::this_thread::sleep_for(5ms);
            continue;
        }
        const TowerEvent& e = *polled.value();
        switch (e.kind) {
            case TOWER_EVENT_KIND_CONNECTED: saw_connected = true; break;
            case TOWER_EVENT_KIND_WELCOME: welcome = e; break;
            case TOWER_EVENT_KIND_FLOOR_ENTERED: entered = e; break;
            case TOWER_EVENT_KIND_FLOOR_ADMITTED: admitted = e; break;
            case TOWER_EVENT_KIND_SERVER_ERROR:
            case TOWER_EVENT_KIND_DISCONNECTED:
                FAIL() << "kind " << e.kind << ": " << tower::event_message(e) << "\nserver log:\n" << server->log();
            default: break;
        }
    }
    ASSERT_TRUE(admitted.has_value()) << "no FloorAdmitted within 30 s; server log:\n" << server->log();
    EXPECT_TRUE(saw_connected);
    ASSERT_TRUE(welcome.has_value());
    ASSERT_TRUE(entered.has_value());
    EXPECT_EQ(tower::event_message(*welcome), "cpp-live");
    EXPECT_GT(welcome->tick_rate_hz, 0u);
    EXPECT_EQ(client.entity_id().value(), welcome->entity_id);
    EXPECT_EQ(entered->hash_matches, 1);
    EXPECT_EQ(entered->generator_version, tower_generator_version());
    EXPECT_EQ(admitted->floor, entered->floor);

    // 2. Prove the floor ourselves: the library's floor has the server's hash, and
    //    regenerating from the announced seed verifies against it.
    tower::Result<tower::Floor> floor = client.current_floor();
    ASSERT_TRUE(floor.ok()) << floor.error().message;
    tower::FloorHash server_hash{};
    std::copy(std::begin(entered->hash), std::end(entered->hash), server_hash.begin());
    EXPECT_EQ(tower::to_hex(floor.value().hash().value()), tower::to_hex(server_hash));
    EXPECT_TRUE(tower::Floor::verify_hash(entered->seed, entered->floor, server_hash).ok());
    EXPECT_EQ(floor.value().info().value().seed, entered->seed);
    const tower::TileGrid grid = floor.value().grid().value();
    const int sx = static_cast<int>(std::floor(admitted->spawn_x));
    const int sy = static_cast<int>(std::floor(admitted->spawn_y));
    EXPECT_NE(grid.at(sx, sy), TOWER_TILE_WALL) << "spawned inside a wall";

    // 3. Our own entity appears in the snapshots at the spawn point.
    const std::uint32_t me = welcome->entity_id;
    const auto own_entity = [&]() -> std::optional<TowerEntity> {
        tower::Result<std::vector<TowerEntity>> all = client.entities();
        if (!all.ok()) return std::nullopt;
        for (const TowerEntity& e : all.value()) {
            if (e.id == me) return e;
        }
        return std::nullopt;
    };
    std::optional<TowerEntity> start;
    const auto appear_deadline = Clock::now() + 10s;
    while (!start && Clock::now() < appear_deadline) {
        drain(client);
        start = own_entity();
        std::this_thread::sleep_for(10ms);
    }
    ASSERT_TRUE(start.has_value()) << "own entity never appeared in snapshots; server log:\n" << server->log();
    EXPECT_NEAR(start->x, admitted->spawn_x, 0.6f);
    EXPECT_NEAR(start->y, admitted->spawn_y, 0.6f);

    // Names live in the roster, not in snapshots (protocol 4): we are on it by entity id.
    std::optional<tower::RosterEntry> listed;
    const auto roster_deadline = Clock::now() + 10s;
    while (!listed && Clock::now() < roster_deadline) {
        drain(client);
        tower::Result<std::vector<tower::RosterEntry>> roster = client.roster();
        ASSERT_TRUE(roster.ok()) << roster.error().message;
        if (const tower::RosterEntry* entry = tower::find_roster_entry(roster.value(), me)) listed = *entry;
        std::this_thread::sleep_for(10ms);
    }
    ASSERT_TRUE(listed.has_value()) << "not on the roster; server log:\n" << server->log();
    EXPECT_EQ(listed->name, "cpp-live");

    // 4. Walk toward a walkable neighbour tile and watch the snapshots follow.
    const int dirs[4][2] = {{1, 0}, {0, 1}, {-1, 0}, {0, -1}};
    int dx = 0, dy = 0;
    for (const auto& d : dirs) {
        if (grid.at(sx + d[0], sy + d[1]) != TOWER_TILE_WALL) {
            dx = d[0];
            dy = d[1];
            break;
        }
    }
    ASSERT_TRUE(dx != 0 || dy != 0) << "spawn tile has no walkable neighbour";
    ASSERT_TRUE(client.send_input(static_cast<float>(dx), static_cast<float>(dy), false).ok());
    float moved = 0.0f;
    float predicted_moved = 0.0f;
    const auto move_deadline = Clock::now() + 10s;
    while (moved < 0.5f && Clock::now() < move_deadline) {
        drain(client);
        if (std::optional<TowerEntity> now = own_entity()) {
            moved = (now->x - start->x) * static_cast<float>(dx) + (now->y - start->y) * static_cast<float>(dy);
        }
        if (tower::Result<tower::TilePosition> p = client.predicted_position(); p.ok()) {
            predicted_moved = (p.value().x - admitted->spawn_x) * static_cast<float>(dx) +
                              (p.value().y - admitted->spawn_y) * static_cast<float>(dy);
        }
        std::this_thread::sleep_for(10ms);
    }
    EXPECT_GE(moved, 0.5f) << "the server's snapshots never showed us moving; server log:\n" << server->log();
    EXPECT_GE(predicted_moved, 0.5f) << "prediction did not move either";
    ASSERT_TRUE(client.send_input(0.0f, 0.0f, false).ok());

    // 5. Leave politely: Disconnected arrives, then the handle is closed.
    ASSERT_TRUE(client.disconnect().ok());
    bool disconnected = false;
    const auto leave_deadline = Clock::now() + 10s;
    while (!disconnected && Clock::now() < leave_deadline) {
        tower::Result<std::optional<TowerEvent>> polled = client.poll_event();
        ASSERT_TRUE(polled.ok());
        if (polled.value() && polled.value()->kind == TOWER_EVENT_KIND_DISCONNECTED) {
            disconnected = true;
        } else if (!polled.value()) {
            std::this_thread::sleep_for(5ms);
        }
    }
    EXPECT_TRUE(disconnected);
    EXPECT_TRUE(client.is_closed().value());
    EXPECT_EQ(client.send_input(1.0f, 0.0f, false).error().status, TOWER_STATUS_CLOSED);
}

// The matchmaker hands out host names and either fingerprint form: both go straight to the
// library, which resolves the name on its own thread. Freeing a connection that is still
// open returns at once (the Leave goes out in the background).
TEST(ClientLive, HostNameColonFingerprintAndFreeWithoutBlocking) {
    std::string error;
    std::optional<ServerProcess> server = ServerProcess::start(error);
    ASSERT_TRUE(server.has_value()) << error;
    const std::string port = server->address().substr(server->address().rfind(':') + 1);
    std::string colons;  // "AB:CD:..." as openssl prints it
    for (std::size_t i = 0; i < server->fingerprint().size() && i < 64; i += 2) {
        if (!colons.empty()) colons += ':';
        for (char c : server->fingerprint().substr(i, 2)) {
            colons += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
    }

    std::size_t live_before = 0;
    ASSERT_EQ(tower_live_handles(&live_before), TOWER_STATUS_OK);
    tower::ConnectOptions options;
    options.server_address = "localhost:" + port;
    options.cert_fingerprint = colons;
    options.dev_name = "cpp-host-name";
    const auto connect_started = Clock::now();
    tower::Result<tower::Client> connected = tower::Client::connect(options);
    EXPECT_LT(Clock::now() - connect_started, 100ms) << "connect must not resolve on the caller's thread";
    ASSERT_TRUE(connected.ok()) << connected.error().message;
    std::optional<tower::Client> client(std::move(connected).value());

    bool welcomed = false;
    const auto deadline = Clock::now() + 30s;
    while (!welcomed && Clock::now() < deadline) {
        tower::Result<std::optional<TowerEvent>> polled = client->poll_event();
        ASSERT_TRUE(polled.ok()) << polled.error().message;
        if (!polled.value()) {
            std::this_thread::sleep_for(5ms);
            continue;
        }
        const TowerEvent& e = *polled.value();
        ASSERT_NE(e.kind, TOWER_EVENT_KIND_DISCONNECTED) << tower::event_message(e) << "\nserver log:\n" << server->log();
        welcomed = e.kind == TOWER_EVENT_KIND_WELCOME;
    }
    ASSERT_TRUE(welcomed) << "no Welcome within 30 s; server log:\n" << server->log();
    ASSERT_FALSE(client->is_closed().value());

    const auto free_started = Clock::now();
    client.reset();  // tower_client_free on an open connection
    const auto took = Clock::now() - free_started;
    EXPECT_LT(took, 50ms) << "tower_client_free blocked for "
                          << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
    std::size_t live_after = 0;
    ASSERT_EQ(tower_live_handles(&live_after), TOWER_STATUS_OK);
    EXPECT_EQ(live_after, live_before);
}

namespace {

// Polls until an event of `kind` arrives (returned) or `timeout` passes (nullopt). The
// messages of server errors on the way are appended to `*errors`.
std::optional<TowerEvent> wait_for(tower::Client& client, std::uint32_t kind, std::chrono::seconds timeout,
                                   std::string* errors = nullptr) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        tower::Result<std::optional<TowerEvent>> polled = client.poll_event();
        if (!polled.ok()) return std::nullopt;
        if (!polled.value()) {
            std::this_thread::sleep_for(5ms);
            continue;
        }
        const TowerEvent& e = *polled.value();
        if (e.kind == kind) return e;
        if (e.kind == TOWER_EVENT_KIND_SERVER_ERROR && errors != nullptr) {
            *errors += "error " + std::to_string(e.error_code) + ": " + tower::event_message(e) + "\n";
        }
    }
    return std::nullopt;
}

}  // namespace

// The resume token crosses the C ABI both ways: read from one connection after its
// Welcome, given to a second one, which gets the same player back (resumed) while the
// first is told it was replaced. The token stays readable after DISCONNECTED.
// A resume token reclaims only a held (detached) player: presented while its session is
// live, it is refused and the session stays with its connection (a stolen token takes
// nothing over). Reclaiming a detached session, and the token's rotation, are covered by
// session_test.cpp (server killed and restarted) and by the server's own tests.
TEST(ClientLive, ResumeTokenCannotTakeOverALiveSession) {
    std::string error;
    std::optional<ServerProcess> server = ServerProcess::start(error);
    ASSERT_TRUE(server.has_value()) << error;
    tower::ConnectOptions options;
    options.server_address = server->address();
    options.cert_fingerprint = server->fingerprint();
    options.dev_name = "cpp-resume";
    tower::Result<tower::Client> first = tower::Client::connect(options);
    ASSERT_TRUE(first.ok()) << first.error().message;
    EXPECT_EQ(first.value().resume_token().error().status, TOWER_STATUS_NOT_READY);
    const std::optional<TowerEvent> welcome = wait_for(first.value(), TOWER_EVENT_KIND_WELCOME, 30s);
    ASSERT_TRUE(welcome.has_value()) << "no Welcome; server log:\n" << server->log();
    EXPECT_EQ(welcome->resumed, 0);
    tower::Result<std::vector<std::uint8_t>> token = first.value().resume_token();
    ASSERT_TRUE(token.ok()) << token.error().message;
    ASSERT_EQ(token.value().size(), 16u);
    std::uint8_t small[4]{};
    std::size_t needed = 0;
    EXPECT_EQ(tower_client_resume_token(first.value().handle(), small, sizeof small, &needed),
              TOWER_STATUS_BUFFER_TOO_SMALL);
    EXPECT_EQ(needed, 16u);

    options.dev_name = "cpp-thief";  // ignored on resume: the token names the session
    options.resume_token = token.value();
    tower::Result<tower::Client> thief = tower::Client::connect(options);
    ASSERT_TRUE(thief.ok()) << thief.error().message;
    std::string errors;
    const std::optional<TowerEvent> refused = wait_for(thief.value(), TOWER_EVENT_KIND_DISCONNECTED, 30s, &errors);
    ASSERT_TRUE(refused.has_value()) << "the resume of a live session was not refused; server log:\n" << server->log();
    EXPECT_EQ(refused->disconnect_reason, TOWER_DISCONNECT_RESUME_EXPIRED)
        << tower::event_message(*refused) << "\nerrors:\n" << errors;

    // The owner keeps its session and its token.
    const std::optional<TowerEvent> dropped = wait_for(first.value(), TOWER_EVENT_KIND_DISCONNECTED, 1s);
    EXPECT_FALSE(dropped.has_value()) << "the live session was taken over: " << tower::event_message(*dropped);
    EXPECT_EQ(first.value().resume_token().value(), token.value()) << "the owner's token changed";
}
