// The floor half of the C ABI, from C++: procgen's golden vectors byte for byte, the RAII
// wrappers, and every error path of the ABI rules (null, short buffer, bad handle, double
// free, bad hash length, mismatch).
#include <gtest/gtest.h>

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "TowerCore/TowerFfi.h"

namespace {

struct Golden {
    std::uint64_t seed;
    std::uint32_t floor;
    tower::FloorHash hash;
    std::string line;
};

// procgen's golden vector file: the one file under procgen/tests/ whose name has "golden".
std::string golden_path() {
    const std::string dir = std::string(TOWER_REPO_ROOT) + "/procgen/tests";
    std::string found;
    if (DIR* d = opendir(dir.c_str())) {
        while (dirent* entry = readdir(d)) {
            const std::string name = entry->d_name;
            if (name.find("golden") != std::string::npos && name.find(".rs") == std::string::npos) {
                found = dir + "/" + name;
            }
        }
        closedir(d);
    }
    return found;
}

// One vector per line, in whatever punctuation procgen's file uses ("seed floor hash",
// "seed,floor,hash", "seed=.. floor=.. hash=..", JSON-ish): the first two integer tokens
// (decimal or 0x-hex) are seed and floor, the 64-hex-digit token is the hash. '#' starts a
// comment.
bool parse_golden_line(const std::string& raw, Golden& out) {
    std::string line = raw.substr(0, raw.find('#'));
    for (char& c : line) {
        if (std::strchr(",:=;\t{}[]\"'()>-", c) != nullptr) c = ' ';
    }
    std::istringstream in(line);
    std::vector<std::uint64_t> numbers;
    std::optional<tower::FloorHash> hash;
    for (std::string field; in >> field;) {
        if (field.size() == 64) {
            if (std::optional<tower::FloorHash> h = tower::parse_hex(field)) {
                hash = h;
                continue;
            }
        }
        char* end = nullptr;
        errno = 0;
        const unsigned long long value = std::strtoull(field.c_str(), &end, 0);
        if (end != field.c_str() && *end == '\0' && errno == 0 && field[0] != '-') {
            numbers.push_back(value);
        }
    }
    if (!hash || numbers.size() < 2 || numbers[1] > 0xFFFFFFFFull) return false;
    out.seed = numbers[0];
    out.floor = static_cast<std::uint32_t>(numbers[1]);
    out.hash = *hash;
    out.line = raw;
    return true;
}

std::vector<Golden> load_golden() {
    std::vector<Golden> vectors;
    std::ifstream in(golden_path());
    for (std::string line; std::getline(in, line);) {
        Golden g{};
        if (parse_golden_line(line, g)) vectors.push_back(g);
    }
    return vectors;
}

std::string last_error() { return tower_last_error(); }

// Every test runs in its own process (gtest_discover_tests + ctest): at the end of it, all
// handles it made must have been freed. Memory checkers cannot see a leaked handle because
// the library's registry still references it.
class NoLiveHandlesAtExit : public ::testing::Environment {
public:
    void TearDown() override {
        std::size_t live = 1;
        ASSERT_EQ(tower_live_handles(&live), TOWER_STATUS_OK);
        EXPECT_EQ(live, 0u) << "a test left tower handles unfreed";
    }
};
const ::testing::Environment* const kNoLiveHandles =
    ::testing::AddGlobalTestEnvironment(new NoLiveHandlesAtExit);

TowerFloorHandle generate(std::uint64_t seed, std::uint32_t floor) {
    TowerFloorHandle h{0};
    EXPECT_EQ(tower_floor_generate(seed, floor, &h), TOWER_STATUS_OK) << last_error();
    return h;
}

}  // namespace

TEST(Abi, LiveHandleCountTracksGenerateAndFree) {
    std::size_t before = 0, during = 0, after = 0;
    ASSERT_EQ(tower_live_handles(&before), TOWER_STATUS_OK);
    {
        tower::Floor f = tower::Floor::generate(4, 4).value();
        ASSERT_EQ(tower_live_handles(&during), TOWER_STATUS_OK);
    }
    ASSERT_EQ(tower_live_handles(&after), TOWER_STATUS_OK);
    EXPECT_EQ(during, before + 1);
    EXPECT_EQ(after, before);
    EXPECT_EQ(tower_live_handles(nullptr), TOWER_STATUS_NULL_POINTER);
}

TEST(Abi, LibraryMatchesHeader) {
    EXPECT_EQ(tower_abi_version(), static_cast<std::uint32_t>(TOWER_ABI_VERSION));
    EXPECT_TRUE(tower::check_abi().ok());
    EXPECT_GE(tower_generator_version(), 1u);
    EXPECT_STREQ(tower_status_name(TOWER_STATUS_HASH_MISMATCH), "TOWER_STATUS_HASH_MISMATCH");
    EXPECT_STREQ(tower_status_name(12345), "TOWER_STATUS_UNKNOWN");
}

// Pinned in procgen/src/seed.rs: the editor preview's "world seed" must be the server's.
TEST(Abi, FloorSeedIsTheServersDerivation) {
    EXPECT_EQ(tower::floor_seed(0, 0), 0xE220A8397B1DCDAFull);
    EXPECT_EQ(tower::floor_seed(1, 3), 0x71C18690EE42C90Bull);
    EXPECT_EQ(tower::floor_seed(UINT64_MAX, UINT32_MAX), 0xD3C3FC2C2DE810ECull);
}

TEST(Golden, ParserReadsTheUsualLineFormats) {
    const std::string h(64, 'a');
    for (const std::string& line : {"12 3 " + h, "0xc,3," + h, "seed=12 floor=3 hash=" + h,
                                    "{\"seed\": 12, \"floor\": 3, \"hash\": \"" + h + "\"}",
                                    "12\t3\t" + h + "  # comment", "(12, 3) -> " + h}) {
        Golden g{};
        ASSERT_TRUE(parse_golden_line(line, g)) << line;
        EXPECT_EQ(g.seed, 12u) << line;
        EXPECT_EQ(g.floor, 3u) << line;
        EXPECT_EQ(tower::to_hex(g.hash), h) << line;
    }
    Golden g{};
    EXPECT_FALSE(parse_golden_line("# seed floor hash", g));
    EXPECT_FALSE(parse_golden_line("12 3 abc", g));
    EXPECT_FALSE(parse_golden_line("", g));
}

TEST(Golden, EveryProcgenVectorReproducesThroughTheCAbi) {
    const std::string path = golden_path();
    ASSERT_FALSE(path.empty()) << "no golden vector file under procgen/tests/";
    const std::vector<Golden> vectors = load_golden();
    ASSERT_GE(vectors.size(), 256u) << "parsed too few vectors from " << path;
    for (const Golden& g : vectors) {
        tower::Result<tower::Floor> floor = tower::Floor::generate(g.seed, g.floor);
        ASSERT_TRUE(floor.ok()) << floor.error().message;
        tower::Result<tower::FloorHash> hash = floor.value().hash();
        ASSERT_TRUE(hash.ok()) << hash.error().message;
        EXPECT_EQ(tower::to_hex(hash.value()), tower::to_hex(g.hash)) << "line: " << g.line;
        EXPECT_TRUE(tower::Floor::verify_hash(g.seed, g.floor, g.hash).ok()) << g.line;
    }
}

TEST(Floor, TilesSpawnsAndInfoAgree) {
    tower::Result<tower::Floor> floor = tower::Floor::generate(0xdeadbeefULL, 7);
    ASSERT_TRUE(floor.ok()) << floor.error().message;
    const TowerFloorInfo info = floor.value().info().value();
    EXPECT_EQ(info.seed, 0xdeadbeefULL);
    EXPECT_EQ(info.floor, 7u);
    EXPECT_EQ(info.width, 64);
    EXPECT_EQ(info.height, 64);
    EXPECT_EQ(info.generator_version, tower_generator_version());
    std::uint16_t w = 0, h = 0;
    ASSERT_EQ(tower_floor_width(floor.value().handle(), &w), TOWER_STATUS_OK);
    ASSERT_EQ(tower_floor_height(floor.value().handle(), &h), TOWER_STATUS_OK);
    EXPECT_EQ(w, info.width);
    EXPECT_EQ(h, info.height);

    const tower::TileGrid grid = floor.value().grid().value();
    ASSERT_EQ(grid.tiles.size(), info.tile_count);
    EXPECT_EQ(grid.at(info.entry_x, info.entry_y), TOWER_TILE_ENTRY);
    EXPECT_EQ(grid.at(info.stairs_up_x, info.stairs_up_y), TOWER_TILE_STAIRS_UP);
    for (std::uint8_t t : grid.tiles) EXPECT_LT(t, TOWER_TILE_COUNT);

    const std::vector<TowerSpawn> spawns = floor.value().spawns().value();
    EXPECT_EQ(spawns.size(), info.spawn_count);
    for (const TowerSpawn& s : spawns) {
        EXPECT_NE(grid.at(s.x, s.y), TOWER_TILE_WALL) << "spawn on a wall";
        EXPECT_LE(s.kind, TOWER_SPAWN_KIND_LOOT);
    }
}

TEST(Floor, EncodingMagicAndHashAreStable) {
    tower::Result<tower::Floor> a = tower::Floor::generate(99, 12);
    tower::Result<tower::Floor> b = tower::Floor::generate(99, 12);
    ASSERT_TRUE(a.ok() && b.ok());
    const std::vector<std::uint8_t> bytes = a.value().encode().value();
    ASSERT_GE(bytes.size(), 4u);
    EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 4), "TWRF");
    EXPECT_EQ(bytes, b.value().encode().value());
    EXPECT_EQ(a.value().hash().value(), b.value().hash().value());
}

TEST(Floor, SameFloorOnManyThreads) {
    const tower::FloorHash expected = tower::Floor::generate(5, 5).value().hash().value();
    std::vector<std::thread> threads;
    std::vector<int> ok(8, 0);
    for (std::size_t i = 0; i < ok.size(); ++i) {
        threads.emplace_back([i, &ok, &expected] {
            tower::Result<tower::Floor> f = tower::Floor::generate(5, 5);
            ok[i] = f.ok() && f.value().hash().value() == expected;
        });
    }
    for (std::thread& t : threads) t.join();
    for (int v : ok) EXPECT_EQ(v, 1);
}

TEST(Raii, MoveTransfersOwnershipAndFreesOnce) {
    tower::Floor first = tower::Floor::generate(1, 2).value();
    const TowerFloorHandle raw = first.handle();
    tower::Floor second = std::move(first);
    EXPECT_EQ(first.handle().id, 0u);  // NOLINT: moved-from state is specified
    EXPECT_EQ(second.handle().id, raw.id);
    {
        tower::Floor third = std::move(second);
        EXPECT_TRUE(third.info().ok());
    }
    // `third` freed the handle: the library now rejects it.
    std::uint16_t w = 0;
    EXPECT_EQ(tower_floor_width(raw, &w), TOWER_STATUS_BAD_HANDLE);
}

TEST(Errors, NullOutPointers) {
    EXPECT_EQ(tower_floor_generate(1, 1, nullptr), TOWER_STATUS_NULL_POINTER);
    EXPECT_NE(last_error().find("`out` is NULL"), std::string::npos) << last_error();
    TowerFloorHandle h = generate(1, 1);
    EXPECT_EQ(tower_floor_width(h, nullptr), TOWER_STATUS_NULL_POINTER);
    EXPECT_EQ(tower_floor_height(h, nullptr), TOWER_STATUS_NULL_POINTER);
    EXPECT_EQ(tower_floor_info(h, nullptr), TOWER_STATUS_NULL_POINTER);
    EXPECT_EQ(tower_floor_hash(h, nullptr, 32), TOWER_STATUS_NULL_POINTER);
    std::uint8_t tiles[8];
    EXPECT_EQ(tower_floor_tiles(h, tiles, sizeof tiles, nullptr), TOWER_STATUS_NULL_POINTER);
    std::size_t len = 0;
    EXPECT_EQ(tower_floor_tiles(h, nullptr, 4096, &len), TOWER_STATUS_NULL_POINTER);
    EXPECT_EQ(tower_floor_spawns(h, nullptr, 10, &len), TOWER_STATUS_NULL_POINTER);
    EXPECT_EQ(tower_floor_encode(h, nullptr, 10, &len), TOWER_STATUS_NULL_POINTER);
    EXPECT_EQ(tower_floor_verify(1, 1, nullptr, 32), TOWER_STATUS_NULL_POINTER);
    EXPECT_EQ(tower_floor_free(h), TOWER_STATUS_OK);
}

TEST(Errors, ShortBuffersReportTheNeededLengthAndWriteNothing) {
    TowerFloorHandle h = generate(3, 4);
    std::size_t needed = 0;
    EXPECT_EQ(tower_floor_tiles(h, nullptr, 0, &needed), TOWER_STATUS_BUFFER_TOO_SMALL);
    EXPECT_EQ(needed, 64u * 64u);
    std::vector<std::uint8_t> small(needed - 1, 0xAB);
    std::size_t reported = 0;
    EXPECT_EQ(tower_floor_tiles(h, small.data(), small.size(), &reported),
              TOWER_STATUS_BUFFER_TOO_SMALL);
    EXPECT_EQ(reported, needed);
    for (std::uint8_t b : small) ASSERT_EQ(b, 0xAB) << "a short buffer must stay untouched";
    EXPECT_NE(last_error().find("4096 are needed"), std::string::npos) << last_error();

    std::uint8_t hash[31];
    EXPECT_EQ(tower_floor_hash(h, hash, sizeof hash), TOWER_STATUS_BUFFER_TOO_SMALL);

    std::size_t spawn_count = 0;
    const TowerStatus s = tower_floor_spawns(h, nullptr, 0, &spawn_count);
    EXPECT_TRUE(s == TOWER_STATUS_BUFFER_TOO_SMALL || (s == TOWER_STATUS_OK && spawn_count == 0));

    // A larger buffer is fine; the reported length is the real one.
    std::vector<std::uint8_t> big(needed + 100, 0);
    EXPECT_EQ(tower_floor_tiles(h, big.data(), big.size(), &reported), TOWER_STATUS_OK);
    EXPECT_EQ(reported, needed);
    EXPECT_EQ(tower_floor_free(h), TOWER_STATUS_OK);
}

TEST(Errors, BadHandlesAndDoubleFree) {
    std::uint16_t w = 0;
    EXPECT_EQ(tower_floor_width(TowerFloorHandle{0}, &w), TOWER_STATUS_BAD_HANDLE);
    EXPECT_EQ(tower_floor_width(TowerFloorHandle{0xFFFFFFFFFFFFull}, &w), TOWER_STATUS_BAD_HANDLE);
    EXPECT_NE(last_error().find("not live"), std::string::npos) << last_error();
    TowerFloorHandle h = generate(8, 8);
    EXPECT_EQ(tower_floor_free(h), TOWER_STATUS_OK);
    EXPECT_EQ(tower_floor_free(h), TOWER_STATUS_BAD_HANDLE);  // double free: reported, harmless
    EXPECT_EQ(tower_floor_free(TowerFloorHandle{0}), TOWER_STATUS_BAD_HANDLE);
    std::uint8_t hash[32];
    EXPECT_EQ(tower_floor_hash(h, hash, sizeof hash), TOWER_STATUS_BAD_HANDLE);
}

TEST(Errors, BadHashLengthAndMismatch) {
    tower::FloorHash hash = tower::Floor::generate(11, 22).value().hash().value();
    EXPECT_EQ(tower_floor_verify(11, 22, hash.data(), 31), TOWER_STATUS_BAD_HASH_LENGTH);
    EXPECT_EQ(tower_floor_verify(11, 22, hash.data(), 0), TOWER_STATUS_BAD_HASH_LENGTH);
    std::uint8_t longer[33] = {};
    EXPECT_EQ(tower_floor_verify(11, 22, longer, sizeof longer), TOWER_STATUS_BAD_HASH_LENGTH);
    EXPECT_NE(last_error().find("got 33"), std::string::npos) << last_error();
    EXPECT_EQ(tower_floor_verify(11, 22, hash.data(), hash.size()), TOWER_STATUS_OK);
    hash[31] ^= 0x80;
    const tower::Status mismatch = tower::Floor::verify_hash(11, 22, hash);
    EXPECT_EQ(mismatch.error().status, TOWER_STATUS_HASH_MISMATCH);
    EXPECT_NE(mismatch.error().message.find("mismatch"), std::string::npos);
    // The same hash is wrong for another floor.
    hash[31] ^= 0x80;
    EXPECT_EQ(tower_floor_verify(11, 23, hash.data(), hash.size()), TOWER_STATUS_HASH_MISMATCH);
}

TEST(Errors, OutOfRangeSizeIsAnInvalidArgument) {
    TowerFloorHandle h{123};
    EXPECT_EQ(tower_floor_generate_sized(1, 1, 0, 0, &h), TOWER_STATUS_INVALID_ARGUMENT);
    EXPECT_EQ(h.id, 0u);
    EXPECT_NE(last_error().find("out of range"), std::string::npos) << last_error();
    tower::Result<tower::Floor> huge = tower::Floor::generate_sized(1, 1, 60000, 60000);
    ASSERT_FALSE(huge.ok());
    EXPECT_EQ(huge.error().status, TOWER_STATUS_INVALID_ARGUMENT);
    tower::Result<tower::Floor> custom = tower::Floor::generate_sized(1, 1, 32, 48);
    ASSERT_TRUE(custom.ok()) << custom.error().message;
    EXPECT_EQ(custom.value().info().value().width, 32);
    EXPECT_EQ(custom.value().info().value().height, 48);
}

TEST(Errors, LastErrorIsPerThread) {
    EXPECT_EQ(tower_floor_free(TowerFloorHandle{0}), TOWER_STATUS_BAD_HANDLE);
    std::string other = "unset";
    std::thread([&other] { other = tower_last_error(); }).join();
    EXPECT_EQ(other, "");
    EXPECT_NE(last_error(), "");
}

TEST(Hex, RoundTripAndRejects) {
    tower::FloorHash h{};
    for (std::size_t i = 0; i < h.size(); ++i) h[i] = static_cast<std::uint8_t>(i * 7);
    EXPECT_EQ(tower::parse_hex(tower::to_hex(h)), h);
    EXPECT_FALSE(tower::parse_hex("abc").has_value());
    EXPECT_FALSE(tower::parse_hex(std::string(64, 'g')).has_value());
    std::string upper = tower::to_hex(h);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(tower::parse_hex(upper), h);
}

// Issue 8: every entry point that takes a length checks it before building a slice from it.
// SIZE_MAX is an invalid argument (it used to abort the host inside the debug library) and
// NULL with a non-zero length is a NULL pointer, never a crash.
TEST(Errors, LengthsAreCheckedBeforeUse) {
    tower::Result<tower::Floor> floor = tower::Floor::generate(5, 1);
    ASSERT_TRUE(floor.ok()) << floor.error().message;
    const TowerFloorHandle h = floor.value().handle();
    std::uint8_t bytes[8]{};
    TowerSpawn spawns[2]{};
    std::size_t len = 0;
    EXPECT_EQ(tower_floor_tiles(h, bytes, SIZE_MAX, &len), TOWER_STATUS_INVALID_ARGUMENT);
    EXPECT_EQ(tower_floor_encode(h, bytes, SIZE_MAX, &len), TOWER_STATUS_INVALID_ARGUMENT);
    EXPECT_EQ(tower_floor_spawns(h, spawns, SIZE_MAX, &len), TOWER_STATUS_INVALID_ARGUMENT);
    EXPECT_EQ(tower_floor_spawns(h, spawns, SIZE_MAX / 2, &len), TOWER_STATUS_INVALID_ARGUMENT);
    EXPECT_EQ(tower_floor_hash(h, bytes, SIZE_MAX), TOWER_STATUS_INVALID_ARGUMENT);
    EXPECT_EQ(tower_floor_verify(1, 1, bytes, SIZE_MAX), TOWER_STATUS_INVALID_ARGUMENT);
    EXPECT_NE(last_error().find("larger than any buffer"), std::string::npos) << last_error();

    EXPECT_EQ(tower_floor_tiles(h, nullptr, 5, &len), TOWER_STATUS_NULL_POINTER);
    EXPECT_EQ(tower_floor_encode(h, nullptr, 5, &len), TOWER_STATUS_NULL_POINTER);
    EXPECT_EQ(tower_floor_spawns(h, nullptr, 5, &len), TOWER_STATUS_NULL_POINTER);
    EXPECT_EQ(tower_floor_hash(h, nullptr, TOWER_HASH_LEN), TOWER_STATUS_NULL_POINTER);
    EXPECT_EQ(tower_floor_verify(1, 1, nullptr, TOWER_HASH_LEN), TOWER_STATUS_NULL_POINTER);

    // The honest protocol is unchanged.
    EXPECT_EQ(tower_floor_tiles(h, nullptr, 0, &len), TOWER_STATUS_BUFFER_TOO_SMALL);
    EXPECT_GT(len, 0u);
    EXPECT_EQ(tower_floor_hash(h, bytes, sizeof bytes), TOWER_STATUS_BUFFER_TOO_SMALL);
}
