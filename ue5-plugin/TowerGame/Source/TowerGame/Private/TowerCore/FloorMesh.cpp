// Engine-free core of the TowerGame plugin: a tile grid -> renderable geometry.
#include "TowerCore/FloorMesh.h"

namespace tower {

namespace {

bool floor_mesh_is_walkable(std::uint8_t tile) { return tile != TOWER_TILE_WALL; }

// Yaw toward the first walkable neighbour (+X, +Y, -X, -Y), or 0 when enclosed.
float floor_mesh_facing_yaw(const TileGrid& grid, int x, int y) {
    static const int dx[4] = {1, 0, -1, 0};
    static const int dy[4] = {0, 1, 0, -1};
    for (int i = 0; i < 4; ++i) {
        if (floor_mesh_is_walkable(grid.at(x + dx[i], y + dy[i]))) {
            return 90.0f * static_cast<float>(i);
        }
    }
    return 0.0f;
}

bool floor_mesh_is_oriented(std::uint8_t tile) {
    return tile == TOWER_TILE_DOOR || tile == TOWER_TILE_ENTRY ||
           tile == TOWER_TILE_STAIRS_UP || tile == TOWER_TILE_STAIRS_DOWN;
}

// Appends the quad (a, b, c, d), given counter-clockwise around `normal` in the usual
// right-hand sense, as two triangles wound the way Unreal draws as front faces.
void floor_mesh_add_quad(MeshSection& section, const Vec3 (&corners)[4], const Vec2 (&uvs)[4],
                         Vec3 normal) {
    const auto base = static_cast<std::int32_t>(section.vertices.size());
    for (int i = 0; i < 4; ++i) {
        section.vertices.push_back(corners[i]);
        section.normals.push_back(normal);
        section.uvs.push_back(uvs[i]);
    }
    const std::int32_t order[6] = {0, 2, 1, 0, 3, 2};
    for (std::int32_t i : order) {
        section.triangles.push_back(base + i);
    }
}

}  // namespace

Vec3 tile_to_world(float tile_x, float tile_y, const FloorMeshOptions& options) {
    return Vec3{tile_x * options.tile_size_cm, tile_y * options.tile_size_cm, 0.0f};
}

FloorInstances build_instances(const TileGrid& grid, const FloorMeshOptions& options) {
    FloorInstances out;
    const float xy_scale = options.tile_size_cm / options.source_mesh_size_cm;
    const float wall_z_scale = options.wall_height_cm / options.source_mesh_height_cm;
    for (int y = 0; y < grid.height; ++y) {
        for (int x = 0; x < grid.width; ++x) {
            const std::uint8_t tile = grid.at(x, y);
            if (tile >= kTileKinds) {
                continue;  // not a tile kind this plugin knows; the library never emits one
            }
            InstanceTransform instance;
            instance.location = tile_to_world(static_cast<float>(x) + 0.5f,
                                              static_cast<float>(y) + 0.5f, options);
            instance.yaw_degrees =
                floor_mesh_is_oriented(tile) ? floor_mesh_facing_yaw(grid, x, y) : 0.0f;
            instance.scale = Vec3{xy_scale, xy_scale, tile == TOWER_TILE_WALL ? wall_z_scale : 1.0f};
            out.by_kind[tile].push_back(instance);
        }
    }
    return out;
}

FloorMesh build_mesh(const TileGrid& grid, const FloorMeshOptions& options) {
    FloorMesh mesh;
    const float t = options.tile_size_cm;
    const float h = options.wall_height_cm;
    const float v_height = h / t;  // V span of a wall face, in tiles
    for (int y = 0; y < grid.height; ++y) {
        for (int x = 0; x < grid.width; ++x) {
            const std::uint8_t tile = grid.at(x, y);
            if (tile >= kTileKinds) {
                continue;
            }
            MeshSection& section = mesh.sections[tile];
            const float x0 = static_cast<float>(x) * t;
            const float x1 = x0 + t;
            const float y0 = static_cast<float>(y) * t;
            const float y1 = y0 + t;
            const float u0 = static_cast<float>(x);
            const float u1 = u0 + 1.0f;
            const float w0 = static_cast<float>(y);
            const float w1 = w0 + 1.0f;
            const float top = tile == TOWER_TILE_WALL ? h : 0.0f;

            // The upward face: a walkable tile's floor or a wall's top.
            floor_mesh_add_quad(section,
                                {{x0, y0, top}, {x1, y0, top}, {x1, y1, top}, {x0, y1, top}},
                                {{u0, w0}, {u1, w0}, {u1, w1}, {u0, w1}}, Vec3{0.0f, 0.0f, 1.0f});
            if (tile != TOWER_TILE_WALL) {
                continue;
            }
            // Vertical faces toward walkable neighbours; V runs down from the top edge.
            if (floor_mesh_is_walkable(grid.at(x + 1, y))) {
                floor_mesh_add_quad(section, {{x1, y0, 0.0f}, {x1, y1, 0.0f}, {x1, y1, h}, {x1, y0, h}},
                                    {{w0, v_height}, {w1, v_height}, {w1, 0.0f}, {w0, 0.0f}},
                                    Vec3{1.0f, 0.0f, 0.0f});
            }
            if (floor_mesh_is_walkable(grid.at(x - 1, y))) {
                floor_mesh_add_quad(section, {{x0, y1, 0.0f}, {x0, y0, 0.0f}, {x0, y0, h}, {x0, y1, h}},
                                    {{w1, v_height}, {w0, v_height}, {w0, 0.0f}, {w1, 0.0f}},
                                    Vec3{-1.0f, 0.0f, 0.0f});
            }
            if (floor_mesh_is_walkable(grid.at(x, y + 1))) {
                floor_mesh_add_quad(section, {{x1, y1, 0.0f}, {x0, y1, 0.0f}, {x0, y1, h}, {x1, y1, h}},
                                    {{u1, v_height}, {u0, v_height}, {u0, 0.0f}, {u1, 0.0f}},
                                    Vec3{0.0f, 1.0f, 0.0f});
            }
            if (floor_mesh_is_walkable(grid.at(x, y - 1))) {
                floor_mesh_add_quad(section, {{x0, y0, 0.0f}, {x1, y0, 0.0f}, {x1, y0, h}, {x0, y0, h}},
                                    {{u0, v_height}, {u1, v_height}, {u1, 0.0f}, {u0, 0.0f}},
                                    Vec3{0.0f, -1.0f, 0.0f});
            }
        }
    }
    return mesh;
}

}  // namespace tower
