// tower::Session, the play session the Unreal subsystem ticks: first without a server (bad
// logins refused with a status and a sentence before any handle exists, an idle session,
// shutdown), then through the real C ABI against a real tower-server on loopback: floor
// proved by hash, roster, a second player's entity appearing, moving and leaving; the
// server killed and restarted in place (resume scheduled by the policy and attempted,
// refused there as expired) while a second session shut down during its pending resume
// never reaches the server; a wrong certificate pin ends in a readable Disconnected.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <variant>
#include <vector>

#include "TowerCore/Session.h"
#include "live_server.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using tower::ConnectionPhase;
using tower::ReconnectAction;
using tower::Session;
using tower::SessionEvent;
using tower::SessionLogin;
using tower_test::free_port;
using tower_test::ServerProcess;
using tower_test::ServerSpec;

const std::string kSomeFingerprint(64, 'a');

// The caller's clock, in seconds: what the Unreal subsystem passes (FPlatformTime::Seconds).
double now_seconds() {
    return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

std::size_t live_handles() {
    std::size_t n = 0;
    EXPECT_EQ(tower_live_handles(&n), TOWER_STATUS_OK);
    return n;
}

SessionLogin dev_login(const std::string& address, const std::string& fingerprint, const std::string& name) {
    SessionLogin login;
    login.server_address = address;
    login.cert_fingerprint = fingerprint;
    login.dev_name = name;
    return login;
}

// A session and everything its ticks reported, with the caller's time of each tick.
struct Player {
    explicit Player(tower::SessionOptions options = tower::SessionOptions{}) : session(options) {}

    void tick() {
        const double now = now_seconds();
        for (SessionEvent& event : session.tick(now)) {
            seen.push_back(std::move(event));
            seen_at.push_back(now);
        }
    }

    template <class T>
    std::vector<T> all() const {
        std::vector<T> out;
        for (const SessionEvent& event : seen) {
            if (const T* typed = std::get_if<T>(&event)) out.push_back(*typed);
        }
        return out;
    }

    template <class T>
    std::optional<T> last() const {
        for (auto it = seen.rbegin(); it != seen.rend(); ++it) {
            if (const T* typed = std::get_if<T>(&*it)) return *typed;
        }
        return std::nullopt;
    }

    // Index in `seen` of the first T at or after `from`, or -1.
    template <class T>
    long index_of(std::size_t from = 0) const {
        for (std::size_t i = from; i < seen.size(); ++i) {
            if (std::holds_alternative<T>(seen[i])) return static_cast<long>(i);
        }
        return -1;
    }

    // Entity events of one entity id, in order.
    std::vector<tower::EntityEvent> entity_events(std::uint32_t id) const {
        std::vector<tower::EntityEvent> out;
        for (const tower::EntityEvent& e : all<tower::EntityEvent>()) {
            if (e.entity.id == id) out.push_back(e);
        }
        return out;
    }

    std::string errors() const {
        std::string out;
        for (const tower::SessionError& e : all<tower::SessionError>()) out += e.message + "\n";
        for (const tower::Disconnected& d : all<tower::Disconnected>()) {
            out += "disconnected (" + std::to_string(d.reason) + "): " + d.message + "\n";
        }
        return out;
    }

    Session session;
    std::vector<SessionEvent> seen;
    std::vector<double> seen_at;
};

// Ticks every player every 5 ms until `done()` or `timeout`; returns done().
bool run_until(std::initializer_list<Player*> players, std::chrono::milliseconds timeout,
               const std::function<bool()>& done) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        for (Player* p : players) p->tick();
        if (done()) return true;
        std::this_thread::sleep_for(5ms);
    }
    return done();
}

void expect_refused(const tower::Status& status, TowerStatus code, const std::string& words) {
    ASSERT_FALSE(status.ok()) << "accepted; expected: " << words;
    EXPECT_EQ(status.error().status, code) << status.error().message;
    EXPECT_NE(status.error().message.find(words), std::string::npos) << status.error().message;
}

}  // namespace

// ---- Without a server -------------------------------------------------------------------

TEST(SessionOffline, RefusesMalformedAndHostileLoginsWithACodeAndASentence) {
    Session session;
    const std::size_t handles_before = live_handles();
    const double now = 100.0;
    const SessionLogin good = dev_login("127.0.0.1:4433", kSomeFingerprint, "ann");

    SessionLogin login = good;
    login.cert_fingerprint = "abc";
    expect_refused(session.connect(login, now), TOWER_STATUS_INVALID_ARGUMENT, "fingerprint must be 64 hex digits");
    login.cert_fingerprint = std::string(63, 'a') + "g";
    expect_refused(session.connect(login, now), TOWER_STATUS_INVALID_ARGUMENT, "fingerprint");
    login.cert_fingerprint = std::string(100000, 'a');
    expect_refused(session.connect(login, now), TOWER_STATUS_INVALID_ARGUMENT, "fingerprint");

    login = good;
    login.dev_name.clear();
    expect_refused(session.connect(login, now), TOWER_STATUS_INVALID_ARGUMENT, "needs a dev name");
    login.dev_name = "ann";
    login.ticket = "t";
    expect_refused(session.connect(login, now), TOWER_STATUS_INVALID_ARGUMENT, "not both");

    // What the library refuses, with its own sentences.
    login = good;
    login.server_address = "tower.example.com";
    expect_refused(session.connect(login, now), TOWER_STATUS_INVALID_ARGUMENT, "no port");
    login.server_address = "bad host.example:4433";
    expect_refused(session.connect(login, now), TOWER_STATUS_INVALID_ARGUMENT, "invalid host name");
    login.server_address.clear();
    expect_refused(session.connect(login, now), TOWER_STATUS_INVALID_ARGUMENT, "");
    login.server_address = std::string(70000, 'x') + ":4433";
    expect_refused(session.connect(login, now), TOWER_STATUS_INVALID_ARGUMENT, "");
    login = good;
    login.dev_name = std::string("a\xff", 2);
    expect_refused(session.connect(login, now), TOWER_STATUS_INVALID_ARGUMENT, "UTF-8");

    EXPECT_EQ(session.phase(), ConnectionPhase::Idle);
    EXPECT_EQ(live_handles(), handles_before) << "a refused login must not leave a handle behind";
    EXPECT_TRUE(session.tick(now).empty());
}

TEST(SessionOffline, AnIdleSessionAnswersEverythingHarmlessly) {
    Session session;
    EXPECT_TRUE(session.tick(1.0).empty());
    EXPECT_EQ(session.phase(), ConnectionPhase::Idle);
    EXPECT_FALSE(session.resume_pending());
    EXPECT_TRUE(session.send_input(1.0f, 0.0f, true).ok()) << "input without a connection is dropped";
    expect_refused(session.send_input(std::nanf(""), 0.0f, false), TOWER_STATUS_INVALID_ARGUMENT, "finite");
    expect_refused(session.send_input(0.0f, std::numeric_limits<float>::infinity(), false),
                   TOWER_STATUS_INVALID_ARGUMENT, "finite");
    EXPECT_TRUE(session.leave().ok());
    session.cancel_resume();
    EXPECT_EQ(session.predicted_position().error().status, TOWER_STATUS_NOT_READY);
    EXPECT_EQ(session.local_entity_id(), 0u);
    EXPECT_TRUE(session.entities().empty());
    EXPECT_EQ(session.find_entity(1), nullptr);
    EXPECT_TRUE(session.roster().empty());
    EXPECT_EQ(session.roster_entry(1), nullptr);
    EXPECT_EQ(session.current_floor(), nullptr);
    EXPECT_EQ(session.floor_layout(), nullptr);
    EXPECT_EQ(tower::format_net_stats(session.net_stats(5.0)), "Tower: idle (not connected)");
}

TEST(SessionOffline, ShutdownIsFinalAndReleasesTheConnection) {
    const std::size_t handles_before = live_handles();
    const std::string nobody = "127.0.0.1:" + std::to_string(free_port(SOCK_DGRAM));
    {
        Session session;
        ASSERT_TRUE(session.connect(dev_login(nobody, kSomeFingerprint, "ann"), 10.0).ok());
        EXPECT_EQ(session.phase(), ConnectionPhase::Connecting);
        EXPECT_EQ(live_handles(), handles_before + 1);
        EXPECT_EQ(session.login().server_address, nobody);
        const tower::NetStats stats = session.net_stats(12.5);
        EXPECT_EQ(stats.phase, ConnectionPhase::Connecting);
        EXPECT_DOUBLE_EQ(stats.connected_seconds, 2.5) << "time is the caller's";

        session.shutdown();
        EXPECT_TRUE(session.is_shut_down());
        EXPECT_EQ(session.phase(), ConnectionPhase::Idle);
        EXPECT_EQ(live_handles(), handles_before);
        EXPECT_TRUE(session.tick(1e9).empty());
        expect_refused(session.connect(dev_login(nobody, kSomeFingerprint, "ann"), 11.0), TOWER_STATUS_CLOSED,
                       "shut down");
        EXPECT_EQ(live_handles(), handles_before);
        session.shutdown();  // idempotent
    }
    {
        Session session;
        ASSERT_TRUE(session.connect(dev_login(nobody, kSomeFingerprint, "bob"), 10.0).ok());
        EXPECT_EQ(live_handles(), handles_before + 1);
    }
    EXPECT_EQ(live_handles(), handles_before) << "the destructor shuts down";
}

TEST(SessionOffline, ARefusedConnectKeepsTheCurrentConnection) {
    const std::string nobody = "127.0.0.1:" + std::to_string(free_port(SOCK_DGRAM));
    Session session;
    ASSERT_TRUE(session.connect(dev_login(nobody, kSomeFingerprint, "ann"), 1.0).ok());
    expect_refused(session.connect(dev_login("no-port", kSomeFingerprint, "ann"), 2.0),
                   TOWER_STATUS_INVALID_ARGUMENT, "no port");
    EXPECT_EQ(session.phase(), ConnectionPhase::Connecting);
    EXPECT_EQ(session.login().server_address, nobody);

    // Leaving before any Welcome ends the attempt at once (the library would report it only
    // at its 10 s connect timeout): LEFT, nothing scheduled, the handle freed.
    const std::size_t handles_connected = live_handles();
    EXPECT_TRUE(session.leave().ok());
    EXPECT_EQ(session.phase(), ConnectionPhase::Idle);
    EXPECT_EQ(live_handles(), handles_connected - 1);
    EXPECT_TRUE(session.send_input(1.0f, 0.0f, false).ok()) << "input after leaving is dropped";
    const std::vector<SessionEvent> events = session.tick(3.0);
    ASSERT_EQ(events.size(), 1u);
    const tower::Disconnected* over = std::get_if<tower::Disconnected>(&events[0]);
    ASSERT_NE(over, nullptr);
    EXPECT_EQ(over->reason, TOWER_DISCONNECT_LEFT);
    EXPECT_EQ(over->next.action, ReconnectAction::GiveUp) << over->message;
    EXPECT_FALSE(session.resume_pending());
    EXPECT_TRUE(session.tick(1e9).empty());
}

TEST(SessionOffline, FloorLayoutNamesEntryStairsAndSpawns) {
    tower::Result<tower::Floor> floor = tower::Floor::generate(42, 3);
    ASSERT_TRUE(floor.ok()) << floor.error().message;
    tower::Result<tower::FloorLayout> layout = floor.value().layout();
    ASSERT_TRUE(layout.ok()) << layout.error().message;
    const TowerFloorInfo info = floor.value().info().value();
    EXPECT_EQ(layout.value().info.seed, 42u);
    EXPECT_EQ(layout.value().spawns.size(), info.spawn_count);
    EXPECT_EQ(layout.value().entry().x, info.entry_x);
    EXPECT_EQ(layout.value().stairs_up().y, info.stairs_up_y);
    const tower::TileGrid grid = floor.value().grid().value();
    EXPECT_EQ(grid.at(layout.value().stairs_up().x, layout.value().stairs_up().y), TOWER_TILE_STAIRS_UP);
    if (info.has_stairs_down != 0) {
        ASSERT_TRUE(layout.value().stairs_down().has_value());
        EXPECT_EQ(grid.at(layout.value().stairs_down()->x, layout.value().stairs_down()->y), TOWER_TILE_STAIRS_DOWN);
    }
    tower::FloorLayout none;
    EXPECT_FALSE(none.stairs_down().has_value());
    none.info.has_stairs_down = 1;
    none.info.stairs_down_x = 7;
    EXPECT_EQ(none.stairs_down()->x, 7u);
}

// ---- Against a real server --------------------------------------------------------------

namespace {

// Connects and ticks until the floor is admitted; fails the test otherwise.
void join(Player& p, const ServerProcess& server, const std::string& name, std::initializer_list<Player*> others = {}) {
    ASSERT_TRUE(p.session.connect(dev_login(server.address(), server.fingerprint(), name), now_seconds()).ok());
    std::vector<Player*> all(others);
    const bool admitted = run_until({&p}, 30s, [&] {
        for (Player* o : all) o->tick();
        return p.session.phase() == ConnectionPhase::OnFloor || p.last<tower::Disconnected>().has_value();
    });
    ASSERT_TRUE(admitted && p.session.phase() == ConnectionPhase::OnFloor)
        << name << " not on a floor within 30 s:\n" << p.errors() << "server log:\n" << server.log();
}

// A direction from `spawn` toward a walkable neighbour tile.
std::pair<float, float> walkable_direction(const tower::Floor& floor, tower::TilePosition spawn) {
    const tower::TileGrid grid = floor.grid().value();
    const int sx = static_cast<int>(std::floor(spawn.x));
    const int sy = static_cast<int>(std::floor(spawn.y));
    const int dirs[4][2] = {{1, 0}, {0, 1}, {-1, 0}, {0, -1}};
    for (const auto& d : dirs) {
        if (grid.at(sx + d[0], sy + d[1]) != TOWER_TILE_WALL) return {static_cast<float>(d[0]), static_cast<float>(d[1])};
    }
    return {0.0f, 0.0f};
}

}  // namespace

TEST(SessionLive, FloorProvedRosterAndASecondPlayerAppearingMovingLeaving) {
    std::string error;
    std::optional<ServerProcess> server = ServerProcess::start(error);
    ASSERT_TRUE(server.has_value()) << error;

    Player ann;
    join(ann, *server, "session-ann");

    // Welcomed, then the floor proved by its hash, then admitted: in that order.
    const long welcomed = ann.index_of<tower::Welcomed>();
    const long entered = ann.index_of<tower::FloorEntered>();
    const long admitted = ann.index_of<tower::FloorAdmitted>();
    ASSERT_GE(welcomed, 0);
    ASSERT_GT(entered, welcomed);
    ASSERT_GT(admitted, entered);
    const tower::Welcomed welcome = *ann.last<tower::Welcomed>();
    EXPECT_EQ(welcome.name, "session-ann");
    EXPECT_FALSE(welcome.resumed);
    EXPECT_GT(welcome.tick_rate_hz, 0u);
    EXPECT_NE(welcome.entity_id, 0u);
    EXPECT_EQ(ann.session.local_entity_id(), welcome.entity_id);

    const tower::FloorEntered floor = *ann.last<tower::FloorEntered>();
    EXPECT_EQ(floor.generator_version, tower_generator_version());
    EXPECT_TRUE(tower::Floor::verify_hash(floor.seed, floor.floor, floor.hash).ok())
        << "the announced hash is the hash of (seed, floor)";
    ASSERT_NE(ann.session.current_floor(), nullptr);
    EXPECT_EQ(tower::to_hex(ann.session.current_floor()->hash().value()), tower::to_hex(floor.hash));
    const tower::FloorLayout* layout = ann.session.floor_layout();
    ASSERT_NE(layout, nullptr);
    EXPECT_EQ(layout->info.seed, floor.seed);
    EXPECT_EQ(layout->info.floor, floor.floor);
    const std::vector<TowerSpawn> spawns = tower::Floor::generate(floor.seed, floor.floor).value().spawns().value();
    ASSERT_EQ(layout->spawns.size(), spawns.size());
    for (std::size_t i = 0; i < spawns.size(); ++i) {
        EXPECT_EQ(layout->spawns[i].x, spawns[i].x);
        EXPECT_EQ(layout->spawns[i].y, spawns[i].y);
        EXPECT_EQ(layout->spawns[i].kind, spawns[i].kind);
    }
    const tower::FloorAdmitted placed = *ann.last<tower::FloorAdmitted>();
    EXPECT_EQ(placed.floor, floor.floor);
    EXPECT_NE(ann.session.current_floor()->grid().value().at(static_cast<int>(placed.spawn.x),
                                                             static_cast<int>(placed.spawn.y)),
              TOWER_TILE_WALL);

    // The own entity is on the roster by name, and never among the entities in view.
    ASSERT_TRUE(run_until({&ann}, 10s, [&] { return ann.session.roster_entry(welcome.entity_id) != nullptr; }))
        << "not on the roster; server log:\n" << server->log();
    EXPECT_EQ(ann.session.roster_entry(welcome.entity_id)->name, "session-ann");
    EXPECT_GE(ann.index_of<tower::RosterChanged>(), 0);
    EXPECT_TRUE(ann.session.predicted_position().ok());

    // A second player: appears for the first, with a name on the roster.
    Player bob;
    join(bob, *server, "session-bob", {&ann});
    const std::uint32_t bob_id = bob.session.local_entity_id();
    ASSERT_NE(bob_id, 0u);
    ASSERT_TRUE(run_until({&ann, &bob}, 10s, [&] {
        return ann.session.find_entity(bob_id) != nullptr && ann.session.roster_entry(bob_id) != nullptr;
    })) << "ann never saw bob; server log:\n" << server->log();
    EXPECT_EQ(ann.session.roster_entry(bob_id)->name, "session-bob");
    const std::vector<tower::EntityEvent> first = ann.entity_events(bob_id);
    ASSERT_FALSE(first.empty());
    EXPECT_EQ(first.front().type, tower::EntityEventType::Appeared);
    EXPECT_EQ(first.front().entity.kind, TOWER_ENTITY_KIND_PLAYER);
    for (const Player* p : {&ann, &bob}) {
        EXPECT_EQ(p->session.find_entity(p->session.local_entity_id()), nullptr) << "the own entity is left out";
        EXPECT_TRUE(p->entity_events(p->session.local_entity_id()).empty());
    }
    for (std::size_t i = 1; i < ann.session.entities().size(); ++i) {
        EXPECT_LT(ann.session.entities()[i - 1].id, ann.session.entities()[i].id) << "sorted by id, unique";
    }

    // Bob walks: ann sees him move.
    ASSERT_NE(bob.session.current_floor(), nullptr);
    const auto [dx, dy] = walkable_direction(*bob.session.current_floor(), bob.last<tower::FloorAdmitted>()->spawn);
    ASSERT_TRUE(dx != 0.0f || dy != 0.0f) << "bob's spawn tile has no walkable neighbour";
    ASSERT_TRUE(bob.session.send_input(dx, dy, false).ok());
    const TowerEntity bob_start = *ann.session.find_entity(bob_id);
    ASSERT_TRUE(run_until({&ann, &bob}, 10s, [&] {
        const TowerEntity* now = ann.session.find_entity(bob_id);
        return now != nullptr && (now->x - bob_start.x) * dx + (now->y - bob_start.y) * dy > 0.5f;
    })) << "ann never saw bob move; server log:\n" << server->log();
    bool saw_move = false;
    for (const tower::EntityEvent& e : ann.entity_events(bob_id)) {
        saw_move = saw_move || (e.type == tower::EntityEventType::Changed && (e.changes & tower::kEntityChangeMoved) != 0);
    }
    EXPECT_TRUE(saw_move);
    ASSERT_TRUE(bob.session.send_input(0.0f, 0.0f, false).ok());

    // Bob leaves: told LEFT with nothing to retry; ann sees him removed.
    ASSERT_TRUE(bob.session.leave().ok());
    EXPECT_EQ(bob.session.phase(), ConnectionPhase::Closing);
    ASSERT_TRUE(run_until({&ann, &bob}, 10s, [&] {
        return bob.last<tower::Disconnected>().has_value() && ann.session.find_entity(bob_id) == nullptr;
    })) << "bob's leave did not complete; server log:\n" << server->log();
    const tower::Disconnected left = *bob.last<tower::Disconnected>();
    EXPECT_EQ(left.reason, TOWER_DISCONNECT_LEFT) << left.message;
    EXPECT_EQ(left.next.action, ReconnectAction::GiveUp);
    EXPECT_FALSE(left.resume_at.has_value());
    EXPECT_FALSE(bob.session.resume_pending());
    EXPECT_EQ(bob.session.phase(), ConnectionPhase::Idle);
    EXPECT_EQ(bob.session.current_floor(), nullptr);
    EXPECT_TRUE(bob.session.entities().empty());
    EXPECT_EQ(ann.entity_events(bob_id).back().type, tower::EntityEventType::Removed);

    const tower::NetStats stats = ann.session.net_stats(now_seconds());
    EXPECT_EQ(stats.phase, ConnectionPhase::OnFloor);
    EXPECT_EQ(stats.entity_id, welcome.entity_id);
    EXPECT_EQ(stats.seed, floor.seed);
    EXPECT_GT(stats.events_total, 3u);
    EXPECT_GE(stats.connected_seconds, 0.0);
}

// The server dies without a word (SIGKILL) and comes back on the same port with the same
// certificate but none of its sessions. Both players notice by the QUIC idle timeout; the
// policy schedules a resume for each. Ray's resume is attempted on time and refused by the
// new server as expired (log in again). Sam's session is shut down while its resume is
// pending: it never reconnects, which the new server confirms: one refused resume (ray's)
// and no player. (With the old glue's teardown, which released the connection but kept the
// resume, Sam logs in again there.)
TEST(SessionLive, ServerKilledResumeScheduledAndAttemptedShutdownCancelsIt) {
    std::string error;
    std::optional<ServerProcess> first = ServerProcess::start(error);
    ASSERT_TRUE(first.has_value()) << error;

    tower::SessionOptions options;
    options.reconnect.first_delay_seconds = 0.4;
    options.reconnect.max_attempts = 3;
    options.jitter_seed = 7;
    Player ray(options);
    Player sam(options);
    join(ray, *first, "session-ray");
    join(sam, *first, "session-sam", {&ray});
    EXPECT_EQ(ray.session.reconnect_attempts(), 0u);

    first->kill_hard();
    std::optional<ServerProcess> second =
        ServerProcess::start(error, ServerSpec{first->quic_port(), first->cert_dir()});
    ASSERT_TRUE(second.has_value()) << error;
    ASSERT_EQ(second->fingerprint(), first->fingerprint());

    // Both notice within the idle timeout (15 s on the server, 30 s on the client).
    bool sam_shut_down = false;
    ASSERT_TRUE(run_until({&ray, &sam}, 40s, [&] {
        if (!sam_shut_down && sam.last<tower::Disconnected>()) {
            EXPECT_TRUE(sam.session.resume_pending());
            sam.session.shutdown();  // the game instance goes away with a resume pending
            sam_shut_down = true;
        }
        return sam_shut_down && ray.last<tower::Disconnected>().has_value();
    })) << "the lost connection was never noticed:\n" << ray.errors() << sam.errors();

    for (const Player* p : {&ray, &sam}) {
        const tower::Disconnected lost = *p->last<tower::Disconnected>();
        EXPECT_EQ(lost.reason, TOWER_DISCONNECT_CONNECTION_LOST) << lost.message;
        EXPECT_FALSE(lost.message.empty());
        EXPECT_EQ(lost.next.action, ReconnectAction::Resume);
        EXPECT_EQ(lost.next.attempt, 1u);
        EXPECT_GE(lost.next.delay_seconds, 0.2) << "jitter spreads the delay over [first/2, first]";
        EXPECT_LE(lost.next.delay_seconds, 0.4);
        ASSERT_TRUE(lost.resume_at.has_value());
        const double noticed_at = p->seen_at[static_cast<std::size_t>(p->index_of<tower::Disconnected>())];
        EXPECT_DOUBLE_EQ(*lost.resume_at, noticed_at + lost.next.delay_seconds);
        EXPECT_TRUE(p->session.entities().empty()) << "everything in view was removed with the connection";
        EXPECT_EQ(p->session.current_floor(), nullptr);
    }
    EXPECT_EQ(sam.session.phase(), ConnectionPhase::Idle);
    EXPECT_FALSE(sam.session.resume_pending());

    // Ray's resume goes out at its time, reaches the new server and is refused there.
    const double ray_resume_at = *ray.last<tower::Disconnected>()->resume_at;
    const std::size_t ray_lost_index = static_cast<std::size_t>(ray.index_of<tower::Disconnected>());
    EXPECT_TRUE(ray.session.resume_pending());
    ASSERT_TRUE(run_until({&ray, &sam}, 20s, [&] { return ray.index_of<tower::Disconnected>(ray_lost_index + 1) >= 0; }))
        << "ray's resume never ended:\n" << ray.errors() << "server log:\n" << second->log();
    const long started = ray.index_of<tower::ResumeStarted>(ray_lost_index);
    ASSERT_GT(started, static_cast<long>(ray_lost_index));
    EXPECT_GE(ray.seen_at[static_cast<std::size_t>(started)], ray_resume_at) << "not before its time";
    EXPECT_EQ(std::get<tower::ResumeStarted>(ray.seen[static_cast<std::size_t>(started)]).attempt, 1u);
    const tower::Disconnected refused = *ray.last<tower::Disconnected>();
    EXPECT_EQ(refused.reason, TOWER_DISCONNECT_RESUME_EXPIRED) << refused.message;
    EXPECT_EQ(refused.next.action, ReconnectAction::LoginAgain);
    EXPECT_FALSE(ray.session.resume_pending());
    EXPECT_EQ(ray.session.phase(), ConnectionPhase::Idle);

    // Sam stays silent, and the new server saw exactly one resume (ray's) and no login.
    // (Long enough for a resume to reach the server and be refused: ray's took milliseconds.)
    run_until({&sam}, 1500ms, [] { return false; });
    EXPECT_EQ(sam.index_of<tower::ResumeStarted>(), -1);
    EXPECT_TRUE(sam.session.tick(now_seconds() + 3600.0).empty());
    EXPECT_EQ(second->metric("tower_protocol_errors_total{code=\"RESUME_EXPIRED\"}"), std::optional<double>(1.0))
        << second->metrics();
    EXPECT_EQ(second->metric("tower_players"), std::optional<double>(0.0)) << second->metrics();
}

// A certificate pin that does not match: the connection ends with a sentence, no resume.
TEST(SessionLive, WrongFingerprintEndsInAReadableDisconnect) {
    std::string error;
    std::optional<ServerProcess> server = ServerProcess::start(error);
    ASSERT_TRUE(server.has_value()) << error;
    std::string wrong = server->fingerprint();
    wrong[0] = wrong[0] == '0' ? '1' : '0';

    Player eve;
    ASSERT_TRUE(eve.session.connect(dev_login(server->address(), wrong, "session-eve"), now_seconds()).ok());
    ASSERT_TRUE(run_until({&eve}, 20s, [&] { return eve.last<tower::Disconnected>().has_value(); }))
        << "no Disconnected within 20 s";
    const tower::Disconnected over = *eve.last<tower::Disconnected>();
    EXPECT_NE(over.message.find("fingerprint"), std::string::npos) << over.message;
    EXPECT_NE(over.next.action, ReconnectAction::Resume) << "nothing to resume without a Welcome";
    EXPECT_FALSE(eve.session.resume_pending());
    EXPECT_EQ(eve.index_of<tower::Welcomed>(), -1);
    EXPECT_EQ(eve.session.phase(), ConnectionPhase::Idle);
}
