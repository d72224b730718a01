/*
 * gc_profile.c - the collector's built-in profiles and their parser (docs/cpython-memory.md 7.3).
 *
 *   cpython-3.8    three generations, thresholds (700, 10, 10): 3.8 to 3.12.  The default.
 *   cpython-3.13   three generations, (2000, 10, 10): 3.13.0 and 3.14.5+.
 *   cpython-3.14   young and old, the old generation collected in increments (2000, 10):
 *                  3.14.0 to 3.14.4 only.  Its rules are CPython's Python/gc.c of v3.14.0;
 *                  no 3.14 interpreter is installed here to measure it against.
 *   legacy         (700, 10, 10) with 2.7's finalizer rule: a cycle that holds an object
 *                  with __del__ is uncollectable and its __del__ owners go to gc.garbage.
 *
 * The number of generations and their names are data.
 */
#include "runtime_private.h"

#include <allocator/errmsg.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct gc_profile profiles[] = {
    {.name = "cpython-3.8",
     .ngenerations = 3,
     .generation_names = {"gen0", "gen1", "gen2"},
     .thresholds = {700, 10, 10},
     .help = "3.8 to 3.12: three generations, thresholds (700, 10, 10)"},
    {.name = "cpython-3.13",
     .ngenerations = 3,
     .generation_names = {"gen0", "gen1", "gen2"},
     .thresholds = {2000, 10, 10},
     .help = "3.13.0 and 3.14.5+: three generations, thresholds (2000, 10, 10)"},
    {.name = "cpython-3.14",
     .ngenerations = 2,
     .generation_names = {"young", "old"},
     .thresholds = {2000, 10},
     .incremental = true,
     .help = "3.14.0-3.14.4: young and old, the old collected in increments (3.14.5+ went back "
             "to cpython-3.13); from the source, no 3.14 installed"},
    {.name = "legacy",
     .ngenerations = 3,
     .generation_names = {"gen0", "gen1", "gen2"},
     .thresholds = {700, 10, 10},
     .legacy_finalizers = true,
     .help = "2.7: thresholds (700, 10, 10); a cycle with __del__ goes to gc.garbage"},
};

size_t gc_profile_count(void)
{
    return sizeof profiles / sizeof profiles[0];
}

const struct gc_profile *gc_profile_at(size_t i)
{
    return i < gc_profile_count() ? &profiles[i] : NULL;
}

const struct gc_profile *gc_profile_default(void)
{
    return &profiles[0];
}

const char *gc_profile_for_python(int major, int minor, int micro)
{
    if (major < 3)
        return "legacy";
    if (major == 3 && minor < 13)
        return "cpython-3.8";
    /* 3.14.5 went back to the generational collector of 3.13 (docs/cpython-memory.md 7.12) */
    if (major == 3 && minor == 14 && micro <= 4)
        return "cpython-3.14";
    return "cpython-3.13";
}

uint32_t gc_profile_module_generations(const struct gc_profile *p)
{
    return p->incremental ? 3 : p->ngenerations;
}

int gc_profile_check(const struct gc_profile *p, char *err, size_t errlen)
{
    if (p->ngenerations < 1 || p->ngenerations > GC_MAX_GENERATIONS)
        return errmsg_fail(err, errlen, RT_EINVAL, "gc profile '%.32s': %u generations (1 to %d are possible)",
                           p->name, p->ngenerations, GC_MAX_GENERATIONS);
    if (memchr(p->name, '\0', sizeof p->name) == NULL || p->name[0] == '\0')
        return errmsg_fail(err, errlen, RT_EINVAL, "gc profile: the name is empty or not terminated");
    for (uint32_t i = 0; i < p->ngenerations; i++)
        if (memchr(p->generation_names[i], '\0', sizeof p->generation_names[i]) == NULL ||
            p->generation_names[i][0] == '\0')
            return errmsg_fail(err, errlen, RT_EINVAL, "gc profile '%s': generation %u has no name", p->name, i);
    if (p->incremental && p->ngenerations != 2)
        return errmsg_fail(err, errlen, RT_EINVAL, "gc profile '%s': the incremental collector has 2 generations, not %u",
                           p->name, p->ngenerations);
    return 0;
}

int gc_profile_parse(const char *spec, struct gc_profile *out, char *err, size_t errlen)
{
    const char *colon = strchr(spec, ':');
    size_t namelen = colon ? (size_t)(colon - spec) : strlen(spec);
    const struct gc_profile *found = NULL;
    for (size_t i = 0; i < gc_profile_count(); i++)
        if (strlen(profiles[i].name) == namelen && strncmp(profiles[i].name, spec, namelen) == 0)
            found = &profiles[i];
    if (!found && namelen == strlen("cpython-2.7") && strncmp(spec, "cpython-2.7", namelen) == 0)
        found = &profiles[3];
    if (!found) {
        char known[128] = "";
        for (size_t i = 0; i < gc_profile_count(); i++) {
            strncat(known, i ? ", " : "", sizeof known - strlen(known) - 1);
            strncat(known, profiles[i].name, sizeof known - strlen(known) - 1);
        }
        return errmsg_fail(err, errlen, RT_EINVAL, "unknown gc profile '%.*s' (known: %s)", (int)namelen, spec,
                           known);
    }
    struct gc_profile p = *found;
    if (colon) {
        const char *s = colon + 1;
        uint32_t n = 0;
        for (;;) {
            char *end;
            errno = 0;
            if (*s < '0' || *s > '9')
                return errmsg_fail(err, errlen, RT_EINVAL, "gc profile '%s': threshold %u is not a number: '%s'",
                                   spec, n + 1, s);
            unsigned long v = strtoul(s, &end, 10);
            if (errno || v > UINT32_MAX)
                return errmsg_fail(err, errlen, RT_EINVAL, "gc profile '%s': threshold %u is too large", spec, n + 1);
            if (n == p.ngenerations)
                return errmsg_fail(err, errlen, RT_EINVAL, "gc profile '%s': more than %u thresholds", spec,
                                   p.ngenerations);
            p.thresholds[n++] = (uint32_t)v;
            if (*end == '\0')
                break;
            if (*end != ',')
                return errmsg_fail(err, errlen, RT_EINVAL, "gc profile '%s': expected ',' after threshold %u", spec,
                                   n);
            s = end + 1;
        }
        if (n != p.ngenerations)
            return errmsg_fail(err, errlen, RT_EINVAL, "gc profile '%s': expected %u thresholds, got %u", spec,
                               p.ngenerations, n);
    }
    *out = p;
    return 0;
}
