/*
 * stats_report.h - a struct heap_stats (allocator/stats.h) printed as CPython prints it.
 *
 * stats_report_print() writes the report of sys._debugmallocstats() for the small-object
 * allocator, line for line in CPython's layout (docs/cpython-memory.md 4.2): the size-class
 * table, the arena counts, the byte accounting that sums to the arenas' bytes, the arena map
 * section for profiles with a radix tree (3.10+), then the free-list lines of the object runtime
 * when there are any.  `arenascope record --stats` (from the allocator's own structures) and
 * `arenascope stats FILE` (from the model) both print through it, with STATS_REPORT_DEFAULT, so
 * the same workload prints the same text.
 *
 * stats_report_print_json() writes the same figures as one JSON object on one line.
 */
#ifndef TRACER_STATS_REPORT_H
#define TRACER_STATS_REPORT_H

#include <allocator/stats.h>

#include <stdio.h>

enum {
    /* After CPython's report, a section for the raw layer (blocks the C library holds for the
     * heap), which CPython does not print. */
    STATS_REPORT_RAW = 1u,
};
#define STATS_REPORT_DEFAULT STATS_REPORT_RAW

void stats_report_print(FILE *out, const struct heap_stats *st, unsigned flags);
void stats_report_print_json(FILE *out, const struct heap_stats *st);
/* s (at most max bytes of it) as a JSON string: quoted, with '"', '\\' and control characters
 * escaped; what the JSON of the stats and of `stats --json` put their names through. */
void stats_report_json_string(FILE *out, const char *s, size_t max);

#endif
