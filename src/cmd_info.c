/*
 * cmd_info.c - `arenascope info FILE`: what a trace holds, from its header and index, without
 * decoding its events (unless the file has no index, when the kinds are counted by decoding).
 */
#include "cli.h"
#include "commands.h"
#include "view_opts.h"

#include <tracer/trace.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* 1234567 -> "1,234,567" */
static const char *grouped(uint64_t v, char *buf, size_t len)
{
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)v);
    size_t o = 0;
    for (int i = 0; i < n && o + 2 < len; i++) {
        if (i && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

static const char *bytes_text(uint64_t v, char *buf, size_t len)
{
    if (v && v % (1u << 20) == 0)
        snprintf(buf, len, "%llu MiB", (unsigned long long)(v >> 20));
    else if (v && v % 1024 == 0)
        snprintf(buf, len, "%llu KiB", (unsigned long long)(v >> 10));
    else
        snprintf(buf, len, "%llu", (unsigned long long)v);
    return buf;
}

static void print_header(const struct trace_header *h)
{
    /* every text of the header is the file's: shown with its control characters escaped */
    char a[32], b[32], t1[4 * sizeof h->command], t2[4 * sizeof h->program];
    printf("format       version %u%s%s\n", h->version, h->writer[0] ? ", written by " : "",
           cli_shown(h->writer, t1, sizeof t1));
    printf("command      %s\n", h->command[0] ? cli_shown(h->command, t1, sizeof t1) : "(not recorded)");
    if (h->program[0])
        printf("program      %s, Python %s, run on arenascope's allocator\n", cli_shown(h->program, t1, sizeof t1),
               h->program_version[0] ? cli_shown(h->program_version, t2, sizeof t2) : "(version not recorded)");
    if (h->clock_realtime_ns) {
        time_t t = (time_t)(h->clock_realtime_ns / 1000000000u);
        struct tm tm;
        char when[64];
        gmtime_r(&t, &tm);
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
        printf("recorded     %s\n", when);
    }
    printf("allocator    %s", h->profile[0] ? cli_shown(h->profile, t1, sizeof t1) : "(unnamed)");
    if (h->arena_source[0])
        printf(", arenas from %s", cli_shown(h->arena_source, t1, sizeof t1));
    printf("\n             alignment %u, threshold %u, pool %s, arena %s, pool header %u, "
           "pointers %u bytes%s\n",
           h->alignment, h->threshold, bytes_text(h->pool_size, a, sizeof a),
           bytes_text(h->arena_size, b, sizeof b), h->pool_overhead, h->pointer_size,
           h->keep_last_free_arena ? ", keeps the last free arena" : "");
    if (h->arena_map_bits)
        printf("             arena map (radix tree) over %u address bits\n", h->arena_map_bits);
    printf("collector    %s", h->gc_profile[0] ? cli_shown(h->gc_profile, t1, sizeof t1) : "(unnamed)");
    if (h->ngenerations) {
        printf(": %u generations (", h->ngenerations);
        for (uint32_t g = 0; g < h->ngenerations; g++)
            printf("%s%s %u", g ? ", " : "",
                   h->generation_names[g][0] ? cli_shown(h->generation_names[g], t1, sizeof t1) : "?",
                   h->thresholds[g]);
        printf(")");
    }
    printf("%s\n", h->legacy_finalizers ? ", cycles with __del__ are uncollectable" : "");
    /* the interpreter's own objects, counted without events (FORMAT.md 4, field 21) */
    bool first = true;
    for (uint32_t g = 0; g <= h->ngenerations && g <= TRACE_MAX_GENERATIONS; g++) {
        if (!h->gc_startup[g])
            continue;
        printf("%s%" PRIu64 " in %s", first ? "             the interpreter's own objects: " : ", ",
               h->gc_startup[g],
               g == h->ngenerations ? "the permanent generation"
               : h->generation_names[g][0] ? cli_shown(h->generation_names[g], t1, sizeof t1) : "?");
        first = false;
    }
    if (!first)
        printf("\n");
}

int cmd_info_run(struct cli *c)
{
    const char *path = c->args[0];
    struct trace_reader *r = view_open_trace(c);
    if (!r)
        return 1;
    char n1[32], n2[32], t[1024];
    printf("file         %s\n", cli_shown(path, t, sizeof t));
    print_header(trace_reader_header(r));

    const char *damage = trace_reader_damage(r);
    if (trace_reader_is_complete(r))
        printf("state        complete\n");
    else if (trace_reader_truncated_at(r))
        printf("state        truncated: readable up to its last whole chunk; index rebuilt by scanning\n");
    else if (damage)
        printf("state        damaged: readable up to the damage; index rebuilt by scanning\n");
    else
        printf("state        recovered: no index (the recording did not finish); rebuilt by scanning\n");
    if (damage)
        printf("problem      %s\n", cli_shown(damage, t, sizeof t));

    uint64_t events = trace_reader_event_count(r);
    size_t nchunks = trace_reader_chunk_count(r);
    uint64_t chunk_bytes = 0, last_ns = 0;
    for (size_t i = 0; i < nchunks; i++) {
        struct trace_chunk_info ci;
        trace_reader_chunk(r, i, &ci);
        chunk_bytes += ci.bytes;
        last_ns = ci.first_ns;
    }
    uint64_t file_bytes = trace_reader_file_bytes(r);
    uint64_t kept_from = trace_reader_first_event(r), kept = events - kept_from;
    printf("events       %s in %zu chunk%s\n", grouped(events, n1, sizeof n1), nchunks, nchunks == 1 ? "" : "s");
    const struct trace_header *h = trace_reader_header(r);
    if (h->window) {
        printf("window       %s bytes kept at most", grouped(h->window, n1, sizeof n1));
        if (kept_from)
            printf("; events before %s dropped, %s kept", grouped(kept_from, n2, sizeof n2),
                   grouped(kept, n1, sizeof n1));
        printf("\n");
    }
    if (nchunks)
        printf("duration     %.3f s to the start of the last chunk\n", (double)last_ns / 1e9);
    printf("bytes        %s", grouped(file_bytes, n1, sizeof n1));
    if (kept_from)
        printf(" (with the hole of the events dropped; chunks kept %.2f per event)",
               kept ? (double)chunk_bytes / (double)kept : 0.0);
    else if (events)
        printf(" (%.2f per event; chunks alone %.2f)", (double)file_bytes / (double)events,
               (double)chunk_bytes / (double)events);
    printf("\n");

    size_t nblobs = trace_reader_blob_count(r);
    if (nblobs) {
        printf("blobs       ");
        for (size_t i = 0; i < nblobs;) {
            struct trace_blob_info bi;
            trace_reader_blob(r, i, &bi);
            size_t first, n = trace_reader_blob_range(r, bi.type, &first);
            uint64_t bytes = 0;
            for (size_t j = first; j < first + n; j++) {
                struct trace_blob_info bj;
                trace_reader_blob(r, j, &bj);
                bytes += bj.bytes;
            }
            printf(" %s x%zu (%s bytes)%s", cli_shown(bi.type, t, sizeof t), n, grouped(bytes, n1, sizeof n1),
                   first + n < nblobs ? "," : "");
            i = first + n;
        }
        printf("\n");
    }

    int status = 0;
    size_t nk = trace_reader_kind_count(r);
    uint64_t *counts = calloc(nk, sizeof *counts);
    if (!counts) {
        status = cli_error(c, 1, "%s: out of memory", path);
    } else if (trace_reader_count_kinds(r, counts)) {
        status = cli_error(c, 1, "%s", trace_reader_error(r));
    } else {
        printf("by kind\n");
        for (size_t k = 0; k < nk; k++) {
            if (!counts[k])
                continue;
            const char *note = trace_reader_kind_own(r, k) >= 0 ? ""
                               : trace_reader_kind_is_optional(r, k) ? "  (unknown here, skipped)"
                                                                      : "  (unknown here)";
            printf("  %-16s %14s %6.2f%%%s\n", cli_shown(trace_reader_kind_name(r, k), t, sizeof t),
                   grouped(counts[k], n2, sizeof n2), 100.0 * (double)counts[k] / (double)events, note);
        }
    }
    free(counts);
    if (!status)
        status = view_trace_is_whole(c, r);
    trace_reader_free(r);
    return status;
}
