/*
 * stats_report.c - CPython's sys._debugmallocstats() report from a struct heap_stats.
 *
 * The layout is CPython's _PyObject_DebugMallocStats() and printone() (docs/cpython-memory.md
 * 4.2, 4.3): a label left-justified and padded to 35 columns, '=', the value right-justified in
 * 21 columns with thousands separators; the class table formatted "%5u %6u %11zu %15zu %13zu";
 * free-list lines as "%d free %s * %zd bytes each" right-justified in 48 columns plus a space.
 */
#include <tracer/stats_report.h>

#include <inttypes.h>
#include <string.h>

/* One "label = value" line; returns value so that totals can be summed as CPython does. */
static uint64_t printone(FILE *out, const char *msg, uint64_t value)
{
    char digits[32];
    int n = 0;
    uint64_t v = value;
    int group = 0;
    do {
        if (group == 3) {
            digits[n++] = ',';
            group = 0;
        }
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
        group++;
    } while (v);
    fputs(msg, out);
    for (size_t i = strlen(msg); i < 35; i++)
        fputc(' ', out);
    fputc('=', out);
    for (int i = n; i < 21; i++)
        fputc(' ', out);
    while (n)
        fputc(digits[--n], out);
    fputc('\n', out);
    return value;
}

void stats_report_print(FILE *out, const struct heap_stats *st, unsigned flags)
{
    char buf[160];
    fprintf(out, "Small block threshold = %u, in %u size classes.\n", st->threshold, st->nclasses);
    fputc('\n', out);
    fputs("class   size   num pools   blocks in use  avail blocks\n"
          "-----   ----   ---------   -------------  ------------\n",
          out);
    for (uint32_t i = 0; i < st->nclasses && i < HEAP_STATS_MAX_CLASSES; i++) {
        const struct heap_stats_class *k = &st->classes[i];
        if (k->pools == 0)
            continue;
        fprintf(out, "%5u %6u %11" PRIu64 " %15" PRIu64 " %13" PRIu64 "\n", i, k->size, k->pools, k->in_use,
                k->avail);
    }
    fputc('\n', out);
    printone(out, "# arenas allocated total", st->arenas_allocated_total);
    printone(out, "# arenas reclaimed", st->arenas_allocated_total - st->arenas_current);
    printone(out, "# arenas highwater mark", st->arenas_highwater);
    printone(out, "# arenas allocated current", st->arenas_current);
    snprintf(buf, sizeof buf, "%" PRIu64 " arenas * %u bytes/arena", st->arenas_current, st->arena_size);
    printone(out, buf, st->arenas_current * st->arena_size);
    fputc('\n', out);

    uint64_t total = printone(out, "# bytes in allocated blocks", st->bytes_allocated);
    total += printone(out, "# bytes in available blocks", st->bytes_available);
    snprintf(buf, sizeof buf, "%" PRIu64 " unused pools * %u bytes", st->unused_pools, st->pool_size);
    total += printone(out, buf, st->unused_pools * st->pool_size);
    total += printone(out, "# bytes lost to pool headers", st->bytes_pool_headers);
    total += printone(out, "# bytes lost to quantization", st->bytes_quantization);
    total += printone(out, "# bytes lost to arena alignment", st->bytes_alignment);
    printone(out, "Total", total);

    if (st->radix_tree) {
        fputs("\narena map counts\n", out);
        printone(out, "# arena map mid nodes", st->map_mid_nodes);
        printone(out, "# arena map bot nodes", st->map_bot_nodes);
        fputc('\n', out);
        total = printone(out, "# bytes lost to arena map root", st->map_root_bytes);
        total += printone(out, "# bytes lost to arena map mid", st->map_mid_bytes);
        total += printone(out, "# bytes lost to arena map bot", st->map_bot_bytes);
        printone(out, "Total", total);
    }

    if (st->nfreelists) {
        fputc('\n', out);
        for (uint32_t i = 0; i < st->nfreelists && i < HEAP_STATS_MAX_FREELISTS; i++) {
            const struct heap_stats_freelist *f = &st->freelists[i];
            char line[128];
            snprintf(line, sizeof line, "%" PRIu64 " free %.*s * %" PRIu64 " bytes each", f->count,
                     (int)sizeof f->label, f->label, f->each);
            snprintf(buf, sizeof buf, "%48s ", line);
            printone(out, buf, f->count * f->each);
        }
    }

    if (flags & STATS_REPORT_RAW) {
        fputs("\n# arenascope's, not CPython's: the raw layer (blocks held by the C library's malloc)\n", out);
        printone(out, "# raw blocks", st->raw_blocks);
        printone(out, "# bytes in raw blocks", st->raw_bytes);
    }
}

void stats_report_json_string(FILE *out, const char *s, size_t max)
{
    fputc('"', out);
    for (size_t i = 0; i < max && s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

void stats_report_print_json(FILE *out, const struct heap_stats *st)
{
    fprintf(out,
            "{\"threshold\":%u,\"nclasses\":%u,\"alignment\":%u,\"pool_size\":%u,\"arena_size\":%u,"
            "\"pool_overhead\":%u,\"classes\":[",
            st->threshold, st->nclasses, st->alignment, st->pool_size, st->arena_size, st->pool_overhead);
    const char *sep = "";
    for (uint32_t i = 0; i < st->nclasses && i < HEAP_STATS_MAX_CLASSES; i++) {
        const struct heap_stats_class *k = &st->classes[i];
        if (k->pools == 0)
            continue;
        fprintf(out, "%s{\"class\":%u,\"size\":%u,\"pools\":%" PRIu64 ",\"in_use\":%" PRIu64 ",\"avail\":%" PRIu64 "}",
                sep, i, k->size, k->pools, k->in_use, k->avail);
        sep = ",";
    }
    uint64_t total = st->bytes_allocated + st->bytes_available + st->unused_pools * st->pool_size +
                     st->bytes_pool_headers + st->bytes_quantization + st->bytes_alignment;
    fprintf(out,
            "],\"arenas\":{\"allocated_total\":%" PRIu64 ",\"reclaimed\":%" PRIu64 ",\"highwater\":%" PRIu64
            ",\"current\":%" PRIu64 ",\"bytes\":%" PRIu64 "},",
            st->arenas_allocated_total, st->arenas_allocated_total - st->arenas_current, st->arenas_highwater,
            st->arenas_current, st->arenas_current * st->arena_size);
    fprintf(out,
            "\"bytes\":{\"allocated\":%" PRIu64 ",\"available\":%" PRIu64 ",\"unused_pools\":%" PRIu64
            ",\"unused_pool_bytes\":%" PRIu64 ",\"pool_headers\":%" PRIu64 ",\"quantization\":%" PRIu64
            ",\"alignment\":%" PRIu64 ",\"total\":%" PRIu64 "},",
            st->bytes_allocated, st->bytes_available, st->unused_pools, st->unused_pools * st->pool_size,
            st->bytes_pool_headers, st->bytes_quantization, st->bytes_alignment, total);
    if (st->radix_tree)
        fprintf(out,
                "\"arena_map\":{\"mid_nodes\":%" PRIu64 ",\"bot_nodes\":%" PRIu64 ",\"root_bytes\":%" PRIu64
                ",\"mid_bytes\":%" PRIu64 ",\"bot_bytes\":%" PRIu64 ",\"total\":%" PRIu64 "},",
                st->map_mid_nodes, st->map_bot_nodes, st->map_root_bytes, st->map_mid_bytes, st->map_bot_bytes,
                st->map_root_bytes + st->map_mid_bytes + st->map_bot_bytes);
    fprintf(out, "\"raw\":{\"blocks\":%" PRIu64 ",\"bytes\":%" PRIu64 "},\"freelists\":[", st->raw_blocks,
            st->raw_bytes);
    for (uint32_t i = 0; i < st->nfreelists && i < HEAP_STATS_MAX_FREELISTS; i++) {
        const struct heap_stats_freelist *f = &st->freelists[i];
        fprintf(out, "%s{\"label\":", i ? "," : "");
        stats_report_json_string(out, f->label, sizeof f->label);
        fprintf(out, ",\"count\":%" PRIu64 ",\"each\":%" PRIu64 ",\"bytes\":%" PRIu64 "}", f->count, f->each,
                f->count * f->each);
    }
    fputs("]}\n", out);
}
