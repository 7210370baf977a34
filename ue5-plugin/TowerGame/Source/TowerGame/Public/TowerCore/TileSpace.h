// Engine-free core of the TowerGame plugin: the one mapping between tile coordinates (what
// the library and the server speak: a player at (12.5, 3.5) stands at the centre of tile
// (12, 3)) and the floor's local space in Unreal units (centimetres, Z up, floor surface at
// Z = 0). The glue applies the floor actor's transform on top; nothing else scales tiles.
#pragma once

#include <cstdint>

namespace tower {

// Smallest and largest accepted tile edge: below 10 cm nothing fits, above 100 m a 64x64
// floor would leave single-precision range for physics.
constexpr double kMinTileSizeCm = 10.0;
constexpr double kMaxTileSizeCm = 10000.0;
constexpr double kDefaultTileSizeCm = 400.0;

struct LocalPoint {
    double x = 0.0;
    double y = 0.0;
    double z = 0.0;
};

struct TilePoint {
    double x = 0.0;
    double y = 0.0;
};

// The scale of the mapping. Construct it through make_tile_space so the size is always
// in range (a zero or NaN size would put every entity at the origin).
class TileSpace {
public:
    TileSpace() = default;
    double tile_size_cm() const { return tile_size_cm_; }

    // Tile units -> floor-local centimetres (Z = 0, the floor surface).
    LocalPoint to_local(double tile_x, double tile_y) const;
    // Floor-local centimetres -> tile units (Z ignored).
    TilePoint to_tiles(const LocalPoint& local) const;
    // Centre of the integer tile (x, y).
    LocalPoint tile_centre(int tile_x, int tile_y) const;

private:
    friend TileSpace make_tile_space(double tile_size_cm);
    explicit TileSpace(double tile_size_cm) : tile_size_cm_(tile_size_cm) {}
    double tile_size_cm_ = kDefaultTileSizeCm;
};

// Clamps to [kMinTileSizeCm, kMaxTileSizeCm]; NaN or infinity gives the default.
TileSpace make_tile_space(double tile_size_cm);

// Where a static mesh's pivot sits, for instanced tile meshes.
enum class MeshPivot : std::uint8_t {
    BottomCentre,  // art made for tiles: pivot on the floor, used as is
    Centre,        // Unreal's /Engine/BasicShapes/Cube: pivot in the middle of the box
};

// How far to move an instance along Z so it sits right: with a centred pivot a wall's
// bottom goes to Z = 0 (lift +half its scaled height) and a walkable tile becomes a slab
// whose top is the floor surface Z = 0 (lift -half). Bottom-centred meshes are not moved.
double pivot_lift_cm(MeshPivot pivot, bool is_wall, double source_height_cm, double scale_z);

}  // namespace tower
