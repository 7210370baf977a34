// Engine-free core of the TowerGame plugin: RAII wrappers over the C ABI in tower.h.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "TowerCore/Result.h"
#include "TowerFfiHeader.h"

namespace tower {

using FloorHash = std::array<std::uint8_t, TOWER_HASH_LEN>;

std::string to_hex(const FloorHash& hash);
// 64 hex digits (either case) -> hash; nullopt for anything else.
std::optional<FloorHash> parse_hex(std::string_view text);

// TOWER_STATUS_OK when the loaded library speaks the ABI of the header we compiled against;
// an error that names both versions otherwise.
Status check_abi();

// The floor seed of floor `floor` in the tower of world seed `world_seed`: the derivation
// the game server uses, so this is the floor players of a server with that world seed get.
std::uint64_t floor_seed(std::uint64_t world_seed, std::uint32_t floor);

// A tile grid, row-major: tiles[y * width + x] is a TowerTile byte. Plain data, so the mesh
// builder can be tested without the library.
struct TileGrid {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> tiles;

    // TOWER_TILE_WALL outside the grid (or past a short `tiles`), so borders need no
    // special case.
    std::uint8_t at(int x, int y) const;
};

// A tile of the grid (column x, row y).
struct TileCoord {
    std::uint16_t x = 0;
    std::uint16_t y = 0;
};

// What a game places on a floor besides its tiles: the entry, the stairs and the monster and
// loot points. Plain data, read once per floor.
struct FloorLayout {
    TowerFloorInfo info{};
    std::vector<TowerSpawn> spawns;

    TileCoord entry() const { return TileCoord{info.entry_x, info.entry_y}; }
    TileCoord stairs_up() const { return TileCoord{info.stairs_up_x, info.stairs_up_y}; }
    // nullopt on a floor without stairs down.
    std::optional<TileCoord> stairs_down() const;
};

// Owns one TowerFloorHandle; frees it exactly once. Move-only.
class Floor {
public:
    static Result<Floor> generate(std::uint64_t seed, std::uint32_t floor);
    static Result<Floor> generate_sized(std::uint64_t seed, std::uint32_t floor,
                                        std::uint16_t width, std::uint16_t height);
    // Takes ownership of a handle the C ABI issued (e.g. the client's current floor).
    static Floor adopt(TowerFloorHandle handle) { return Floor(handle); }
    // Regenerates (seed, floor) and compares hashes. Not `verify`: Unreal defines a
    // global verify(expr) macro, and no core name may collide with an Unreal macro.
    static Status verify_hash(std::uint64_t seed, std::uint32_t floor, const FloorHash& hash);

    Floor(Floor&& other) noexcept;
    Floor& operator=(Floor&& other) noexcept;
    Floor(const Floor&) = delete;
    Floor& operator=(const Floor&) = delete;
    ~Floor();

    TowerFloorHandle handle() const { return handle_; }
    Result<TowerFloorInfo> info() const;
    Result<std::vector<std::uint8_t>> tiles() const;
    Result<std::vector<TowerSpawn>> spawns() const;
    Result<std::vector<std::uint8_t>> encode() const;
    Result<FloorHash> hash() const;
    Result<TileGrid> grid() const;
    Result<FloorLayout> layout() const;

private:
    explicit Floor(TowerFloorHandle handle) : handle_(handle) {}
    void reset();

    TowerFloorHandle handle_{0};
};

}  // namespace tower
