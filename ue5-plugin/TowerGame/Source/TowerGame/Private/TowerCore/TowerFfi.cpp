// Engine-free core of the TowerGame plugin: RAII wrappers over the C ABI.
#include "TowerCore/TowerFfi.h"

#include <utility>

namespace tower {

Error error_from(TowerStatus status) {
    Error error;
    error.status = status;
    if (status != TOWER_STATUS_OK) {
        error.message = tower_last_error();
    }
    return error;
}

Status status_from(TowerStatus status) {
    return status == TOWER_STATUS_OK ? Status() : Status(error_from(status));
}

namespace {

int hex_digit_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// The "ask for the length, then fill" protocol of tower_floor_tiles & co.
template <class T, class Fn>
Result<std::vector<T>> fetch_buffer(Fn&& fill) {
    std::size_t needed = 0;
    TowerStatus status = fill(nullptr, 0, &needed);
    if (status == TOWER_STATUS_OK) {
        return std::vector<T>();
    }
    if (status != TOWER_STATUS_BUFFER_TOO_SMALL) {
        return error_from(status);
    }
    std::vector<T> out(needed);
    status = fill(out.data(), out.size(), &needed);
    if (status != TOWER_STATUS_OK) {
        return error_from(status);
    }
    out.resize(needed);
    return out;
}

}  // namespace

std::string to_hex(const FloorHash& hash) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(hash.size() * 2);
    for (std::uint8_t byte : hash) {
        out.push_back(digits[byte >> 4]);
        out.push_back(digits[byte & 0x0f]);
    }
    return out;
}

std::optional<FloorHash> parse_hex(std::string_view text) {
    FloorHash hash{};
    if (text.size() != hash.size() * 2) {
        return std::nullopt;
    }
    for (std::size_t i = 0; i < hash.size(); ++i) {
        const int high = hex_digit_value(text[2 * i]);
        const int low = hex_digit_value(text[2 * i + 1]);
        if (high < 0 || low < 0) {
            return std::nullopt;
        }
        hash[i] = static_cast<std::uint8_t>((high << 4) | low);
    }
    return hash;
}

Status check_abi() {
    const std::uint32_t library = tower_abi_version();
    if (library == TOWER_ABI_VERSION) {
        return Status();
    }
    Error error;
    error.status = TOWER_STATUS_INVALID_ARGUMENT;
    error.message = "tower_ffi library speaks ABI version " + std::to_string(library) +
                    " but this plugin was compiled against tower.h version " +
                    std::to_string(TOWER_ABI_VERSION) +
                    "; rebuild the library and plugin from the same commit";
    return Status(std::move(error));
}

std::uint64_t floor_seed(std::uint64_t world_seed, std::uint32_t floor) {
    return tower_floor_seed(world_seed, floor);
}

std::uint8_t TileGrid::at(int x, int y) const {
    if (x < 0 || y < 0 || x >= width || y >= height) {
        return TOWER_TILE_WALL;
    }
    const std::size_t index =
        static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x);
    return index < tiles.size() ? tiles[index] : static_cast<std::uint8_t>(TOWER_TILE_WALL);
}

Result<Floor> Floor::generate(std::uint64_t seed, std::uint32_t floor) {
    TowerFloorHandle handle{0};
    const TowerStatus status = tower_floor_generate(seed, floor, &handle);
    if (status != TOWER_STATUS_OK) {
        return error_from(status);
    }
    return Floor(handle);
}

Result<Floor> Floor::generate_sized(std::uint64_t seed, std::uint32_t floor, std::uint16_t width,
                                    std::uint16_t height) {
    TowerFloorHandle handle{0};
    const TowerStatus status = tower_floor_generate_sized(seed, floor, width, height, &handle);
    if (status != TOWER_STATUS_OK) {
        return error_from(status);
    }
    return Floor(handle);
}

Status Floor::verify_hash(std::uint64_t seed, std::uint32_t floor, const FloorHash& hash) {
    return status_from(tower_floor_verify(seed, floor, hash.data(), hash.size()));
}

Floor::Floor(Floor&& other) noexcept : handle_(other.handle_) { other.handle_.id = 0; }

Floor& Floor::operator=(Floor&& other) noexcept {
    if (this != &other) {
        reset();
        handle_ = other.handle_;
        other.handle_.id = 0;
    }
    return *this;
}

Floor::~Floor() { reset(); }

void Floor::reset() {
    if (handle_.id != 0) {
        // Cannot fail for a handle we own; a failure would only mean a double free, which
        // the library reports instead of crashing.
        (void)tower_floor_free(handle_);
        handle_.id = 0;
    }
}

Result<TowerFloorInfo> Floor::info() const {
    TowerFloorInfo info{};
    const TowerStatus status = tower_floor_info(handle_, &info);
    if (status != TOWER_STATUS_OK) {
        return error_from(status);
    }
    return info;
}

Result<std::vector<std::uint8_t>> Floor::tiles() const {
    const TowerFloorHandle handle = handle_;
    return fetch_buffer<std::uint8_t>([handle](std::uint8_t* buf, std::size_t len, std::size_t* out) {
        return tower_floor_tiles(handle, buf, len, out);
    });
}

Result<std::vector<TowerSpawn>> Floor::spawns() const {
    const TowerFloorHandle handle = handle_;
    return fetch_buffer<TowerSpawn>([handle](TowerSpawn* buf, std::size_t len, std::size_t* out) {
        return tower_floor_spawns(handle, buf, len, out);
    });
}

Result<std::vector<std::uint8_t>> Floor::encode() const {
    const TowerFloorHandle handle = handle_;
    return fetch_buffer<std::uint8_t>([handle](std::uint8_t* buf, std::size_t len, std::size_t* out) {
        return tower_floor_encode(handle, buf, len, out);
    });
}

Result<FloorHash> Floor::hash() const {
    FloorHash hash{};
    const TowerStatus status = tower_floor_hash(handle_, hash.data(), hash.size());
    if (status != TOWER_STATUS_OK) {
        return error_from(status);
    }
    return hash;
}

Result<TileGrid> Floor::grid() const {
    Result<TowerFloorInfo> meta = info();
    if (!meta.ok()) {
        return meta.error();
    }
    Result<std::vector<std::uint8_t>> bytes = tiles();
    if (!bytes.ok()) {
        return bytes.error();
    }
    TileGrid grid;
    grid.width = meta.value().width;
    grid.height = meta.value().height;
    grid.tiles = std::move(bytes).value();
    return grid;
}

std::optional<TileCoord> FloorLayout::stairs_down() const {
    if (info.has_stairs_down == 0) {
        return std::nullopt;
    }
    return TileCoord{info.stairs_down_x, info.stairs_down_y};
}

Result<FloorLayout> Floor::layout() const {
    Result<TowerFloorInfo> meta = info();
    if (!meta.ok()) {
        return meta.error();
    }
    Result<std::vector<TowerSpawn>> points = spawns();
    if (!points.ok()) {
        return points.error();
    }
    FloorLayout out;
    out.info = meta.value();
    out.spawns = std::move(points).value();
    return out;
}

}  // namespace tower
