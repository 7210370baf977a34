/* tower.h must compile as C99 as well as C++. */
#include "tower.h"

uint32_t tower_header_c_check(void) {
    TowerFloorHandle handle = {0};
    TowerStatus status = tower_floor_generate(1, 1, &handle);
    return (uint32_t)status + tower_abi_version();
}
