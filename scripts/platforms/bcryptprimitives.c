/*
 * A stand-in bcryptprimitives.dll for wine 8.0 (Debian 12), which lacks that DLL. Rust's
 * Windows standard library imports ProcessPrng from it, so without it every Rust .exe or
 * .dll fails to load under that wine (status c0000135). Built and placed next to the test
 * binaries by scripts/test.d/35-platforms.sh; never shipped. ProcessPrng is documented to
 * always succeed, so the only failure path (RtlGenRandom refusing) aborts the process.
 */
#include <windows.h>
#include <stdlib.h>

/* RtlGenRandom, exported by advapi32 as SystemFunction036. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x40000000u ? 0x40000000u : (ULONG)len;
        if (!SystemFunction036(data, chunk)) {
            abort();
        }
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
