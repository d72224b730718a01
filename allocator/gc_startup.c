/*
 * gc_startup.c - the tracked objects each CPython version starts with, as the runtime's collector
 * counts them (allocator/gc.c, "The interpreter's own objects").  Written by
 * allocator/gc_startup.py, which measured them; do not edit by hand.
 *
 * Each interpreter ran `import gc; gc.collect()` first thing, isolated (-I; 2.7: -E -s), then
 * bare (-S, without the site module).  start is gc.get_count() before the collection, collected
 * each generation's size after it (before 3.8 all generations together, counted as the oldest),
 * permanent gc.get_freeze_count() then, frozen gc.get_freeze_count() after gc.freeze().
 *
 *   version  interpreter                     run   start              collected          permanent frozen
 *   2.7.18   pyenv 2.7.18                    -I    (529, 8, 0)        (0, 0, 3476)          -1      -1
 *   2.7.18   pyenv 2.7.18                    -S    (569, 3, 0)        (0, 0, 2062)          -1      -1
 *   3.8.18   pyenv 3.8.18                    -I    (440, 9, 0)        (2, 0, 4483)           0    4484
 *   3.8.18   pyenv 3.8.18                    -S    (330, 7, 0)        (2, 0, 3691)           0    3692
 *   3.9.18   pyenv 3.9.18                    -I    (586, 9, 0)        (2, 0, 4596)           0    4597
 *   3.9.18   pyenv 3.9.18                    -S    (354, 7, 0)        (2, 0, 3729)           0    3730
 *   3.10.13  pyenv 3.10.13                   -I    (71, 10, 0)        (2, 0, 4719)           0    4720
 *   3.10.13  pyenv 3.10.13                   -S    (562, 7, 0)        (2, 0, 3921)           0    3922
 *   3.11.2   /usr/bin/python3.11             -I    (69, 8, 0)         (2, 0, 4787)           0    4788
 *   3.11.2   /usr/bin/python3.11             -S    (477, 6, 0)        (2, 0, 3986)           0    3987
 *   3.12.1   pyenv 3.12.1                    -I    (13, 5, 0)         (1, 0, 4974)         375    5350
 *   3.12.1   pyenv 3.12.1                    -S    (544, 3, 0)        (1, 0, 4215)         375    4591
 *   3.13.0   pyenv 3.13.0                    -I    (65, 3, 0)         (1, 0, 5082)           0    5083
 *   3.13.0   pyenv 3.13.0                    -S    (563, 2, 0)        (1, 0, 4274)           0    4275
 *
 * The runtime starts with the -I run's: the oldest generation's size and the permanent's.
 */
#include "runtime_private.h"

#include <string.h>

static const struct gc_startup startup[] = {
    {.layout = "cpython-2.7", .version = "2.7.18", .oldest = 3476, .permanent = 0},
    {.layout = "cpython-3.8", .version = "3.8.18", .oldest = 4483, .permanent = 0},
    {.layout = "cpython-3.9", .version = "3.9.18", .oldest = 4596, .permanent = 0},
    {.layout = "cpython-3.10", .version = "3.10.13", .oldest = 4719, .permanent = 0},
    {.layout = "cpython-3.11", .version = "3.11.2", .oldest = 4787, .permanent = 0},
    {.layout = "cpython-3.12", .version = "3.12.1", .oldest = 4974, .permanent = 375},
    {.layout = "cpython-3.13", .version = "3.13.0", .oldest = 5082, .permanent = 0},
};

const struct gc_startup *gc_startup_find(const char *layout)
{
    for (size_t i = 0; i < sizeof startup / sizeof startup[0]; i++)
        if (strcmp(startup[i].layout, layout) == 0)
            return &startup[i];
    return NULL;
}
