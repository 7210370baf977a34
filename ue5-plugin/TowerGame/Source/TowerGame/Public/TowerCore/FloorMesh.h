// Engine-free core of the TowerGame plugin: a tile grid -> renderable geometry.
//
// Coordinates are Unreal's: left-handed, Z up, centimetres. Tile (x, y) covers
// [x * tile, (x + 1) * tile) along +X and [y * tile, (y + 1) * tile) along +Y, so grid
// column x maps to world X and grid row y to world Y; the floor surface is Z = 0 and walls
// rise to Z = wall_height. The default tile is 400 cm (4 m): a corridor one tile wide fits
// a character with room to swing, and a 64x64 floor is 256 m across.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "TowerCore/TowerFfi.h"

namespace tower {

struct Vec2 {
    float u = 0.0f;
    float v = 0.0f;
};

struct Vec3 {
    float x = 0.0f;
    float y = 0.0f;
    float z = 0.0f;
};

constexpr std::size_t kTileKinds = TOWER_TILE_COUNT;

struct FloorMeshOptions {
    float tile_size_cm = 400.0f;
    float wall_height_cm = 400.0f;
    // Size of the static mesh used per tile kind for instancing: X/Y extent and Z extent of
    // the asset, pivot at the centre of its bottom face (100 cm = Unreal's basic shapes).
    float source_mesh_size_cm = 100.0f;
    float source_mesh_height_cm = 100.0f;
};

// World position (cm, Z = floor surface) of a point given in tile units, e.g. a player at
// (12.5, 3.5) tiles stands at the centre of tile (12, 3).
Vec3 tile_to_world(float tile_x, float tile_y, const FloorMeshOptions& options);

// One instance of a static mesh: what an FTransform is built from.
struct InstanceTransform {
    Vec3 location;
    float yaw_degrees = 0.0f;  // rotation about +Z; 90 turns +X into +Y
    Vec3 scale{1.0f, 1.0f, 1.0f};
};

// Instances grouped by TowerTile value: by_kind[TOWER_TILE_WALL] feeds the wall
// UInstancedStaticMeshComponent, and so on. Every tile yields exactly one instance.
struct FloorInstances {
    std::array<std::vector<InstanceTransform>, kTileKinds> by_kind;
};

// Doors, entry and stairs face their first walkable neighbour in the order +X, +Y, -X, -Y;
// other tiles have yaw 0. Walls are scaled to wall_height_cm, other tiles keep Z scale 1.
FloorInstances build_instances(const TileGrid& grid, const FloorMeshOptions& options);

// One section of a UProceduralMeshComponent: parallel vertex arrays plus an index buffer.
// Triangles follow Unreal's front-face rule: for a visible triangle (a, b, c),
// cross(b - a, c - a) points against its normal (clockwise seen from the front).
struct MeshSection {
    std::vector<Vec3> vertices;
    std::vector<Vec3> normals;
    std::vector<Vec2> uvs;
    std::vector<std::int32_t> triangles;
};

// One section per tile kind (section index == TowerTile value), so each kind gets its own
// material. Walkable tiles are a quad at Z = 0 facing up. A wall tile is its top at
// Z = wall_height plus one vertical face toward each walkable neighbour (faces between two
// walls or toward the outside are never visible and are not emitted). Vertices are not
// shared between faces, so normals are flat. UVs are world-aligned, one unit per tile, so
// a texture tiles seamlessly across neighbouring tiles.
struct FloorMesh {
    std::array<MeshSection, kTileKinds> sections;
};

FloorMesh build_mesh(const TileGrid& grid, const FloorMeshOptions& options);

}  // namespace tower
