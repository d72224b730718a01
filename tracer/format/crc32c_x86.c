/*
 * crc32c_x86.c - CRC32C with SSE4.2's crc32 instruction, for x86 machines that have it (chosen at
 * run time by codec.c; meson builds this file on x86 only, crc32c_other.c elsewhere).  About four
 * times the speed of the table-driven code, which matters to a reader checking every chunk.
 */
#include "crc32c_hw.h"

#include <string.h>

bool crc32c_hw_is_available(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2");
}

__attribute__((target("sse4.2"))) uint32_t crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    uint64_t c = ~crc;
    while (len && ((uintptr_t)p & 7u)) {
        c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
        len--;
    }
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = __builtin_ia32_crc32di(c, w);
        p += 8;
        len -= 8;
    }
    while (len--)
        c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
    return ~(uint32_t)c;
}
