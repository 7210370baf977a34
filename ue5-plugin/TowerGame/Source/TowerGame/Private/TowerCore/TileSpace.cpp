// Engine-free core of the TowerGame plugin: tiles <-> floor-local centimetres.
#include "TowerCore/TileSpace.h"

#include <cmath>

namespace tower {

TileSpace make_tile_space(double tile_size_cm) {
    if (!std::isfinite(tile_size_cm)) {
        return TileSpace(kDefaultTileSizeCm);
    }
    if (tile_size_cm < kMinTileSizeCm) {
        return TileSpace(kMinTileSizeCm);
    }
    if (tile_size_cm > kMaxTileSizeCm) {
        return TileSpace(kMaxTileSizeCm);
    }
    return TileSpace(tile_size_cm);
}

LocalPoint TileSpace::to_local(double tile_x, double tile_y) const {
    return LocalPoint{tile_x * tile_size_cm_, tile_y * tile_size_cm_, 0.0};
}

TilePoint TileSpace::to_tiles(const LocalPoint& local) const {
    return TilePoint{local.x / tile_size_cm_, local.y / tile_size_cm_};
}

LocalPoint TileSpace::tile_centre(int tile_x, int tile_y) const {
    return to_local(static_cast<double>(tile_x) + 0.5, static_cast<double>(tile_y) + 0.5);
}

double pivot_lift_cm(MeshPivot pivot, bool is_wall, double source_height_cm, double scale_z) {
    if (pivot == MeshPivot::BottomCentre) {
        return 0.0;
    }
    const double half = 0.5 * source_height_cm * scale_z;
    return is_wall ? half : -half;
}

}  // namespace tower
