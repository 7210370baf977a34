// The floor mesh builder: instance transforms per tile kind and merged procedural-mesh
// buffers, on hand-made grids (exact counts) and on a real generated floor (invariants).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "TowerCore/FloorMesh.h"

namespace {

// Grid from ASCII rows: '#' wall, '.' floor, 'D' door, 'E' entry, 'U' stairs up.
tower::TileGrid grid_of(const std::vector<std::string>& rows) {
    tower::TileGrid grid;
    grid.height = static_cast<int>(rows.size());
    grid.width = static_cast<int>(rows[0].size());
    for (const std::string& row : rows) {
        for (char c : row) {
            switch (c) {
                case '#': grid.tiles.push_back(TOWER_TILE_WALL); break;
                case 'D': grid.tiles.push_back(TOWER_TILE_DOOR); break;
                case 'E': grid.tiles.push_back(TOWER_TILE_ENTRY); break;
                case 'U': grid.tiles.push_back(TOWER_TILE_STAIRS_UP); break;
                default: grid.tiles.push_back(TOWER_TILE_FLOOR); break;
            }
        }
    }
    return grid;
}

tower::Vec3 sub(tower::Vec3 a, tower::Vec3 b) { return {a.x - b.x, a.y - b.y, a.z - b.z}; }
tower::Vec3 cross(tower::Vec3 a, tower::Vec3 b) {
    return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
float dot(tower::Vec3 a, tower::Vec3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }

// Every section is well formed and every triangle is front-facing by Unreal's rule.
void expect_well_formed(const tower::FloorMesh& mesh) {
    for (const tower::MeshSection& s : mesh.sections) {
        ASSERT_EQ(s.normals.size(), s.vertices.size());
        ASSERT_EQ(s.uvs.size(), s.vertices.size());
        ASSERT_EQ(s.triangles.size() % 3, 0u);
        for (std::size_t i = 0; i < s.triangles.size(); i += 3) {
            const auto a = static_cast<std::size_t>(s.triangles[i]);
            const auto b = static_cast<std::size_t>(s.triangles[i + 1]);
            const auto c = static_cast<std::size_t>(s.triangles[i + 2]);
            ASSERT_LT(a, s.vertices.size());
            ASSERT_LT(b, s.vertices.size());
            ASSERT_LT(c, s.vertices.size());
            const tower::Vec3 n = cross(sub(s.vertices[b], s.vertices[a]), sub(s.vertices[c], s.vertices[a]));
            // Unreal draws clockwise-from-the-front triangles: the right-hand cross product
            // points against the normal.
            ASSERT_LT(dot(n, s.normals[a]), 0.0f) << "triangle " << i / 3 << " faces away";
            ASSERT_GT(std::fabs(dot(n, n)), 0.0f) << "degenerate triangle";
        }
    }
}

}  // namespace

TEST(FloorMesh, TileToWorldUsesTheTileSize) {
    tower::FloorMeshOptions options;
    const tower::Vec3 p = tower::tile_to_world(12.5f, 3.25f, options);
    EXPECT_FLOAT_EQ(p.x, 5000.0f);
    EXPECT_FLOAT_EQ(p.y, 1300.0f);
    EXPECT_FLOAT_EQ(p.z, 0.0f);
}

TEST(FloorMesh, OneInstancePerTileAtTileCentres) {
    const tower::TileGrid grid = grid_of({
        "#####",
        "#E.U#",
        "#####",
    });
    tower::FloorMeshOptions options;
    const tower::FloorInstances inst = tower::build_instances(grid, options);
    EXPECT_EQ(inst.by_kind[TOWER_TILE_WALL].size(), 12u);
    EXPECT_EQ(inst.by_kind[TOWER_TILE_FLOOR].size(), 1u);
    EXPECT_EQ(inst.by_kind[TOWER_TILE_ENTRY].size(), 1u);
    EXPECT_EQ(inst.by_kind[TOWER_TILE_STAIRS_UP].size(), 1u);
    EXPECT_TRUE(inst.by_kind[TOWER_TILE_DOOR].empty());

    const tower::InstanceTransform& floor = inst.by_kind[TOWER_TILE_FLOOR][0];
    EXPECT_FLOAT_EQ(floor.location.x, 2.5f * 400.0f);
    EXPECT_FLOAT_EQ(floor.location.y, 1.5f * 400.0f);
    EXPECT_FLOAT_EQ(floor.location.z, 0.0f);
    EXPECT_FLOAT_EQ(floor.scale.x, 4.0f);
    EXPECT_FLOAT_EQ(floor.scale.y, 4.0f);
    EXPECT_FLOAT_EQ(floor.scale.z, 1.0f);
    EXPECT_FLOAT_EQ(inst.by_kind[TOWER_TILE_WALL][0].scale.z, 4.0f);
    // Entry's walkable neighbour is +X (yaw 0); stairs-up's is -X (yaw 180).
    EXPECT_FLOAT_EQ(inst.by_kind[TOWER_TILE_ENTRY][0].yaw_degrees, 0.0f);
    EXPECT_FLOAT_EQ(inst.by_kind[TOWER_TILE_STAIRS_UP][0].yaw_degrees, 180.0f);
}

TEST(FloorMesh, DoorsFaceTheirPassage) {
    const tower::TileGrid grid = grid_of({
        "###",
        "#.#",
        "#D#",
        "#.#",
        "###",
    });
    const tower::FloorInstances inst = tower::build_instances(grid, tower::FloorMeshOptions{});
    ASSERT_EQ(inst.by_kind[TOWER_TILE_DOOR].size(), 1u);
    EXPECT_FLOAT_EQ(inst.by_kind[TOWER_TILE_DOOR][0].yaw_degrees, 90.0f);  // +Y is open
}

TEST(FloorMesh, ExactGeometryOfASingleRoom) {
    // One walkable tile enclosed by 8 walls: 1 floor quad; 8 wall tops; 4 wall faces
    // (the four walls orthogonally next to the floor each show one face).
    const tower::TileGrid grid = grid_of({
        "###",
        "#.#",
        "###",
    });
    tower::FloorMeshOptions options;
    const tower::FloorMesh mesh = tower::build_mesh(grid, options);
    expect_well_formed(mesh);
    const tower::MeshSection& floor = mesh.sections[TOWER_TILE_FLOOR];
    EXPECT_EQ(floor.vertices.size(), 4u);
    EXPECT_EQ(floor.triangles.size(), 6u);
    for (const tower::Vec3& v : floor.vertices) {
        EXPECT_FLOAT_EQ(v.z, 0.0f);
        EXPECT_TRUE(v.x == 400.0f || v.x == 800.0f);
        EXPECT_TRUE(v.y == 400.0f || v.y == 800.0f);
    }
    const tower::MeshSection& walls = mesh.sections[TOWER_TILE_WALL];
    EXPECT_EQ(walls.vertices.size(), (8u + 4u) * 4u);
    EXPECT_EQ(walls.triangles.size(), (8u + 4u) * 6u);
    int side_faces = 0;
    for (std::size_t i = 0; i < walls.normals.size(); i += 4) {
        if (walls.normals[i].z == 0.0f) {
            ++side_faces;
            // A side face points into the room: toward the floor tile's centre (600, 600).
            const tower::Vec3 to_room = sub(tower::Vec3{600.0f, 600.0f, 0.0f}, walls.vertices[i]);
            EXPECT_GT(dot(to_room, walls.normals[i]), 0.0f);
        } else {
            EXPECT_FLOAT_EQ(walls.vertices[i].z, options.wall_height_cm);
        }
    }
    EXPECT_EQ(side_faces, 4);
}

TEST(FloorMesh, UvsAreWorldAlignedAcrossNeighbours) {
    const tower::TileGrid grid = grid_of({"...."});
    const tower::FloorMesh mesh = tower::build_mesh(grid, tower::FloorMeshOptions{});
    const tower::MeshSection& floor = mesh.sections[TOWER_TILE_FLOOR];
    for (std::size_t i = 0; i < floor.vertices.size(); ++i) {
        EXPECT_FLOAT_EQ(floor.uvs[i].u, floor.vertices[i].x / 400.0f);
        EXPECT_FLOAT_EQ(floor.uvs[i].v, floor.vertices[i].y / 400.0f);
    }
}

TEST(FloorMesh, GeneratedFloorIsWellFormedAndCountsMatch) {
    const tower::TileGrid grid = tower::Floor::generate(2024, 10).value().grid().value();
    const tower::FloorMesh mesh = tower::build_mesh(grid, tower::FloorMeshOptions{});
    expect_well_formed(mesh);
    const tower::FloorInstances inst = tower::build_instances(grid, tower::FloorMeshOptions{});
    std::size_t instances = 0;
    for (std::size_t kind = 0; kind < tower::kTileKinds; ++kind) {
        std::size_t tiles_of_kind = 0;
        for (std::uint8_t t : grid.tiles) tiles_of_kind += (t == kind);
        EXPECT_EQ(inst.by_kind[kind].size(), tiles_of_kind) << "kind " << kind;
        instances += inst.by_kind[kind].size();
        if (kind != TOWER_TILE_WALL) {
            EXPECT_EQ(mesh.sections[kind].vertices.size(), 4 * tiles_of_kind) << "kind " << kind;
        }
    }
    EXPECT_EQ(instances, grid.tiles.size());
    // Wall faces: exactly one per (wall, walkable 4-neighbour) pair, plus one top per wall.
    std::size_t pairs = 0;
    std::size_t walls = 0;
    for (int y = 0; y < grid.height; ++y) {
        for (int x = 0; x < grid.width; ++x) {
            if (grid.at(x, y) != TOWER_TILE_WALL) continue;
            ++walls;
            pairs += (grid.at(x + 1, y) != TOWER_TILE_WALL) + (grid.at(x - 1, y) != TOWER_TILE_WALL) +
                     (grid.at(x, y + 1) != TOWER_TILE_WALL) + (grid.at(x, y - 1) != TOWER_TILE_WALL);
        }
    }
    EXPECT_EQ(mesh.sections[TOWER_TILE_WALL].vertices.size(), 4 * (walls + pairs));
}

TEST(FloorMesh, EmptyGridGivesEmptyOutput) {
    const tower::TileGrid grid;
    const tower::FloorMesh mesh = tower::build_mesh(grid, tower::FloorMeshOptions{});
    for (const tower::MeshSection& s : mesh.sections) EXPECT_TRUE(s.vertices.empty());
    const tower::FloorInstances inst = tower::build_instances(grid, tower::FloorMeshOptions{});
    for (const auto& v : inst.by_kind) EXPECT_TRUE(v.empty());
}
