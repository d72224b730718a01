/*
 * profile.c - the geometries of CPython's small-object allocator, version by version
 * (docs/cpython-memory.md 1.1), and the size-class arithmetic that follows from them (1.2, 1.3).
 *
 * A profile is a value: alignment, small-request threshold, pool size, arena size, and two
 * policies that changed between versions: whether a wholly free arena that is the tail of
 * usable_arenas is kept (3.9+, bpo-37257) and whether arenas are found through a radix tree
 * (3.10+ on 64-bit, bpo-37448; it shows in the stats report as the "arena map" section).
 */
#include "heap_internal.h"

#include <allocator/errmsg.h>

#include <stdlib.h>
#include <string.h>

#define KIB 1024u
#define MIB (1024u * 1024u)

/* Bytes of CPython's struct pool_header on this machine (4 pointers, 4 uints). */
#define POOL_HEADER_BYTES (4 * sizeof(void *) + 4 * sizeof(uint32_t))

static const struct heap_profile builtin_profiles[] = {
    {"cpython-3.10", 16, 512, 16 * KIB, 1 * MIB, true, 64},
    {"cpython-3.9", 16, 512, 4 * KIB, 256 * KIB, true, 0},
    {"cpython-3.8", 16, 512, 4 * KIB, 256 * KIB, false, 0},
    {"classic", 8, 512, 4 * KIB, 256 * KIB, false, 0},
};
#define NPROFILES (sizeof builtin_profiles / sizeof builtin_profiles[0])

size_t heap_profile_count(void)
{
    return NPROFILES;
}

const struct heap_profile *heap_profile_at(size_t i)
{
    return i < NPROFILES ? &builtin_profiles[i] : NULL;
}

uint32_t heap_profile_nclasses(const struct heap_profile *p)
{
    return p->threshold / p->alignment;
}

uint32_t heap_profile_class_size(const struct heap_profile *p, uint32_t szidx)
{
    return (szidx + 1) * p->alignment;
}

uint32_t heap_profile_pool_overhead(const struct heap_profile *p)
{
    uint32_t a = p->alignment;
    return (uint32_t)((POOL_HEADER_BYTES + a - 1) / a * a);
}

uint32_t heap_profile_blocks_per_pool(const struct heap_profile *p, uint32_t szidx)
{
    return (p->pool_size - heap_profile_pool_overhead(p)) / heap_profile_class_size(p, szidx);
}

static bool is_pow2(uint64_t v)
{
    return v && !(v & (v - 1));
}

/* "4096", "4K", "4KiB", "1M", "0x1000"; false when s[0..len) is not such a number. */
static bool parse_size(const char *s, size_t len, uint64_t *out)
{
    char buf[32];
    if (len == 0 || len >= sizeof buf || s[0] == '-' || s[0] == '+')
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    unsigned long long v = strtoull(buf, &end, 0);
    if (end == buf)
        return false;
    uint64_t mul = 1;
    if (*end == 'k' || *end == 'K')
        mul = KIB;
    else if (*end == 'm' || *end == 'M')
        mul = MIB;
    else if (*end == 'g' || *end == 'G')
        mul = 1024u * MIB;
    if (mul != 1) {
        end++;
        if (strcmp(end, "iB") == 0 || strcmp(end, "B") == 0)
            end += strlen(end);
    }
    if (*end || v > UINT32_MAX / mul)
        return false;
    *out = v * mul;
    return true;
}

static bool parse_bool(const char *s, size_t len, bool *out)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strlen(yes[i]) == len && memcmp(s, yes[i], len) == 0)
            return *out = true, true;
        if (strlen(no[i]) == len && memcmp(s, no[i], len) == 0)
            return *out = false, true;
    }
    return false;
}

/* Checks a geometry; the message names the first thing out of range. */
int heap_profile_check(const struct heap_profile *p, char *err, size_t errlen)
{
    if (!is_pow2(p->alignment) || p->alignment < 8 || p->alignment > 64)
        return errmsg_fail(err, errlen, HEAP_EINVAL, "align=%u: must be a power of two from 8 to 64", p->alignment);
    if (p->threshold < p->alignment || p->threshold % p->alignment)
        return errmsg_fail(err, errlen, HEAP_EINVAL, "threshold=%u: must be a non-zero multiple of align (%u)",
                           p->threshold, p->alignment);
    if (p->threshold / p->alignment > HEAP_STATS_MAX_CLASSES)
        return errmsg_fail(err, errlen, HEAP_EINVAL, "threshold=%u: more than %u size classes of %u bytes",
                           p->threshold, HEAP_STATS_MAX_CLASSES, p->alignment);
    if (!is_pow2(p->pool_size) || p->pool_size < KIB || p->pool_size > 16 * MIB)
        return errmsg_fail(err, errlen, HEAP_EINVAL, "pool=%u: must be a power of two from 1K to 16M", p->pool_size);
    if (!is_pow2(p->arena_size) || p->arena_size > 1024u * MIB)
        return errmsg_fail(err, errlen, HEAP_EINVAL, "arena=%u: must be a power of two of at most 1G", p->arena_size);
    if (p->arena_size / 4 < p->pool_size || p->arena_size / p->pool_size > 65536)
        return errmsg_fail(err, errlen, HEAP_EINVAL, "arena=%u: must hold 4 to 65536 pools of %u bytes", p->arena_size,
                           p->pool_size);
    if (p->arena_map_bits != 0 && p->arena_map_bits != 48 && p->arena_map_bits != 64)
        return errmsg_fail(err, errlen, HEAP_EINVAL, "arena-map=%u: must be 0 (none), 48 or 64 address bits",
                           p->arena_map_bits);
    if (heap_profile_blocks_per_pool(p, heap_profile_nclasses(p) - 1) < 2)
        return errmsg_fail(err, errlen, HEAP_EINVAL, "threshold=%u: a %u-byte pool must hold two blocks of every class",
                           p->threshold, p->pool_size);
    return 0;
}

int heap_profile_parse(const char *spec, struct heap_profile *out, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    for (size_t i = 0; i < NPROFILES; i++)
        if (strcmp(spec, builtin_profiles[i].name) == 0) {
            *out = builtin_profiles[i];
            return 0;
        }
    if (strncmp(spec, "custom", 6) != 0 || (spec[6] != '\0' && spec[6] != ':')) {
        char names[128] = "";
        for (size_t i = 0; i < NPROFILES; i++) {
            strcat(names, i ? ", " : "");
            strcat(names, builtin_profiles[i].name);
        }
        return errmsg_fail(err, errlen, HEAP_EINVAL, "unknown profile '%s' (known: %s, custom:KEY=VALUE,...)", spec,
                           names);
    }
    struct heap_profile p = builtin_profiles[0];
    memset(p.name, 0, sizeof p.name);
    strcpy(p.name, "custom");
    const char *s = spec[6] ? spec + 7 : spec + 6;
    while (*s) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        const char *eq = memchr(s, '=', len);
        if (!eq)
            return errmsg_fail(err, errlen, HEAP_EINVAL, "custom profile: '%.*s' is not KEY=VALUE", (int)len, s);
        size_t klen = (size_t)(eq - s);
        const char *v = eq + 1;
        size_t vlen = len - klen - 1;
#define KEY_IS(k) (klen == strlen(k) && memcmp(s, k, klen) == 0)
        uint64_t n = 0;
        bool b = false;
        if (KEY_IS("align") || KEY_IS("alignment") || KEY_IS("threshold") || KEY_IS("pool") ||
            KEY_IS("arena")) {
            if (!parse_size(v, vlen, &n))
                return errmsg_fail(err, errlen, HEAP_EINVAL, "custom profile: %.*s: not a size: '%.*s'", (int)klen, s,
                                   (int)vlen, v);
            if (KEY_IS("threshold"))
                p.threshold = (uint32_t)n;
            else if (KEY_IS("pool"))
                p.pool_size = (uint32_t)n;
            else if (KEY_IS("arena"))
                p.arena_size = (uint32_t)n;
            else
                p.alignment = (uint32_t)n;
        } else if (KEY_IS("keep-last")) {
            if (!parse_bool(v, vlen, &b))
                return errmsg_fail(err, errlen, HEAP_EINVAL,
                                   "custom profile: keep-last: expected yes or no, not '%.*s'", (int)vlen, v);
            p.keep_last_free_arena = b;
        } else if (KEY_IS("arena-map")) {
            if (vlen == 2 && memcmp(v, "48", 2) == 0)
                p.arena_map_bits = 48;
            else if (vlen == 2 && memcmp(v, "64", 2) == 0)
                p.arena_map_bits = 64;
            else if (parse_bool(v, vlen, &b))
                p.arena_map_bits = b ? 64 : 0;
            else
                return errmsg_fail(err, errlen, HEAP_EINVAL,
                                   "custom profile: arena-map: expected no, 48 or 64, not '%.*s'", (int)vlen, v);
        } else {
            return errmsg_fail(err, errlen, HEAP_EINVAL,
                               "custom profile: unknown key '%.*s' (known: align, threshold, pool, arena, keep-last, "
                               "arena-map)",
                               (int)klen, s);
        }
#undef KEY_IS
        s += len;
        if (*s == ',')
            s++;
    }
    char why[160];
    if (heap_profile_check(&p, why, sizeof why) < 0)
        return errmsg_fail(err, errlen, HEAP_EINVAL, "custom profile: %s", why);
    *out = p;
    return 0;
}
