// The one tile <-> floor-local mapping: agrees with the mesh builder's tile_to_world,
// round-trips, clamps bad sizes, and lifts centred-pivot instances onto the floor.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "TowerCore/FloorMesh.h"
#include "TowerCore/TileSpace.h"

namespace {

TEST(TileSpace, CentreOfTileAndDefaultSize) {
    const tower::TileSpace space = tower::make_tile_space(tower::kDefaultTileSizeCm);
    const tower::LocalPoint p = space.to_local(12.5, 3.5);
    EXPECT_DOUBLE_EQ(p.x, 5000.0);
    EXPECT_DOUBLE_EQ(p.y, 1400.0);
    EXPECT_DOUBLE_EQ(p.z, 0.0);
    const tower::LocalPoint c = space.tile_centre(12, 3);
    EXPECT_DOUBLE_EQ(c.x, p.x);
    EXPECT_DOUBLE_EQ(c.y, p.y);
}

TEST(TileSpace, AgreesWithTheMeshBuilder) {
    for (float size : {50.0f, 100.0f, 400.0f, 1234.5f}) {
        const tower::TileSpace space = tower::make_tile_space(size);
        tower::FloorMeshOptions options;
        options.tile_size_cm = size;
        for (float x : {0.0f, 0.5f, 12.5f, 63.75f}) {
            const tower::Vec3 mesh = tower::tile_to_world(x, 3.25f, options);
            const tower::LocalPoint local = space.to_local(x, 3.25);
            EXPECT_NEAR(local.x, mesh.x, 1e-3) << size << " " << x;
            EXPECT_NEAR(local.y, mesh.y, 1e-3) << size << " " << x;
            EXPECT_EQ(local.z, mesh.z);
        }
    }
}

TEST(TileSpace, RoundTrips) {
    const tower::TileSpace space = tower::make_tile_space(333.0);
    const tower::TilePoint back = space.to_tiles(space.to_local(7.125, 40.5));
    EXPECT_NEAR(back.x, 7.125, 1e-12);
    EXPECT_NEAR(back.y, 40.5, 1e-12);
}

TEST(TileSpace, SizeIsAlwaysUsable) {
    EXPECT_DOUBLE_EQ(tower::make_tile_space(0.0).tile_size_cm(), tower::kMinTileSizeCm);
    EXPECT_DOUBLE_EQ(tower::make_tile_space(-5.0).tile_size_cm(), tower::kMinTileSizeCm);
    EXPECT_DOUBLE_EQ(tower::make_tile_space(1e9).tile_size_cm(), tower::kMaxTileSizeCm);
    EXPECT_DOUBLE_EQ(tower::make_tile_space(std::numeric_limits<double>::quiet_NaN()).tile_size_cm(),
                     tower::kDefaultTileSizeCm);
    EXPECT_DOUBLE_EQ(tower::make_tile_space(std::numeric_limits<double>::infinity()).tile_size_cm(),
                     tower::kDefaultTileSizeCm);
    EXPECT_DOUBLE_EQ(tower::TileSpace().tile_size_cm(), tower::kDefaultTileSizeCm);
}

TEST(TileSpace, CentredCubeWallsStandOnTheFloorAndTilesSinkBelowIt) {
    // /Engine/BasicShapes/Cube: 100 cm, pivot in the middle. A 400 cm wall is scale 4.
    const double wall = tower::pivot_lift_cm(tower::MeshPivot::Centre, true, 100.0, 4.0);
    EXPECT_DOUBLE_EQ(wall - 0.5 * 100.0 * 4.0, 0.0);  // bottom at Z = 0
    const double tile = tower::pivot_lift_cm(tower::MeshPivot::Centre, false, 100.0, 1.0);
    EXPECT_DOUBLE_EQ(tile + 0.5 * 100.0, 0.0);  // top at Z = 0
    EXPECT_DOUBLE_EQ(tower::pivot_lift_cm(tower::MeshPivot::BottomCentre, true, 100.0, 4.0), 0.0);
    EXPECT_DOUBLE_EQ(tower::pivot_lift_cm(tower::MeshPivot::BottomCentre, false, 100.0, 1.0), 0.0);
}

}  // namespace
