/*
 * The C-ABI golden check, run against a built tower_ffi library (stage 35 runs it as a
 * Windows .exe under wine against tower_ffi.dll): the load-time self-test passes, the ABI
 * and generator versions match the header and the golden file, and every line of
 * procgen/tests/golden_vectors.txt ("seed floor sha3-256") regenerates to its hash through
 * tower_floor_generate + tower_floor_hash and verifies with tower_floor_verify.
 *   ffi-golden GOLDEN_VECTORS_TXT
 * Exit 0 and "ffi golden: N floors ok" on success; exit 1 naming the first failure.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tower.h"

static int fail_status(const char *what, TowerStatus status)
{
    fprintf(stderr, "ffi golden: %s: %s: %s\n", what, tower_status_name(status), tower_last_error());
    return 1;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Parses 64 lower-case hex digits into 32 bytes; 0 on success. */
static int parse_hash(const char *hex, uint8_t out[TOWER_HASH_LEN])
{
    if (strlen(hex) != 2 * TOWER_HASH_LEN) return -1;
    for (size_t i = 0; i < TOWER_HASH_LEN; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: ffi-golden GOLDEN_VECTORS_TXT\n");
        return 2;
    }
    if (tower_abi_version() != TOWER_ABI_VERSION) {
        fprintf(stderr, "ffi golden: library ABI %u, header ABI %u\n", tower_abi_version(), TOWER_ABI_VERSION);
        return 1;
    }
    TowerStatus status = tower_self_test();
    if (status != TOWER_STATUS_OK) return fail_status("tower_self_test", status);

    FILE *file = fopen(argv[1], "r");
    if (!file) {
        perror(argv[1]);
        return 1;
    }
    char line[256];
    unsigned header_version = 0;
    size_t checked = 0;
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, file)) {
        if (sscanf(line, "# Tower golden floor vectors, generator version %u", &header_version) == 1) continue;
        uint64_t seed;
        uint32_t floor_no;
        char hex[80];
        uint8_t expected[TOWER_HASH_LEN], actual[TOWER_HASH_LEN];
        if (sscanf(line, "%" SCNu64 " %" SCNu32 " %79s", &seed, &floor_no, hex) != 3 || parse_hash(hex, expected) != 0) {
            fprintf(stderr, "ffi golden: malformed line: %s", line);
            rc = 1;
            break;
        }
        TowerFloorHandle handle = {0};
        if ((status = tower_floor_generate(seed, floor_no, &handle)) != TOWER_STATUS_OK) {
            rc = fail_status("tower_floor_generate", status);
            break;
        }
        status = tower_floor_hash(handle, actual, sizeof actual);
        TowerStatus freed = tower_floor_free(handle);
        if (status != TOWER_STATUS_OK) rc = fail_status("tower_floor_hash", status);
        else if (freed != TOWER_STATUS_OK) rc = fail_status("tower_floor_free", freed);
        else if (memcmp(actual, expected, sizeof actual) != 0) {
            fprintf(stderr, "ffi golden: seed %" PRIu64 " floor %" PRIu32 ": hash differs from %s\n", seed, floor_no, hex);
            rc = 1;
        } else if ((status = tower_floor_verify(seed, floor_no, expected, sizeof expected)) != TOWER_STATUS_OK) {
            rc = fail_status("tower_floor_verify", status);
        }
        checked++;
    }
    fclose(file);
    if (rc != 0) return rc;
    if (header_version != tower_generator_version()) {
        fprintf(stderr, "ffi golden: golden file is for generator %u, library is %u\n", header_version, tower_generator_version());
        return 1;
    }
    if (checked < 256) {
        fprintf(stderr, "ffi golden: only %zu golden lines\n", checked);
        return 1;
    }
    printf("ffi golden: %zu floors ok, generator version %u, ABI %u\n", checked, tower_generator_version(), tower_abi_version());
    return 0;
}
