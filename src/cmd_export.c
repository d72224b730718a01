/*
 * cmd_export.c - `arenascope export FILE --format F [-o OUT] [--at E | --from E --to E]`: a trace
 * written in the formats other tools read.
 *
 *   perfetto   Chrome's trace event JSON (the "traceEvents" array).  The time axis is the event
 *              number, one event a microsecond.  The events are read once and folded into a model
 *              of their own; counters are read from that model when they are due (at most one
 *              sample per track per --every events, and at each step marker and the last event)
 *              and written when they changed, so that a trace of 10^8 events gives some
 *              megabytes.  Step markers and collections (with their phases nested) are "X"
 *              slices, each written once it ends, so every track's timestamps only grow.
 *   collapsed  folded stacks ("outer;...;inner BYTES"): the live blocks of the model at --at
 *              grouped by their allocation stack, or the allocations of a range of events.
 *   json       the model at --at as one document (docs/export.md).
 *   html       a handout: one page holding the viewer's screen at the end of each step as inline
 *              SVG (ui_app_render, canvas_to_svg) with its label, stepped through by the arrow
 *              keys and buttons of a few lines of script; nothing is fetched from the network.
 *
 * Every output goes to a temporary file beside its target, renamed over it once whole, as
 * screenshots are (ui/export.c).
 */
#include "cli.h"
#include "commands.h"
#include "export.h"
#include "view_opts.h"

#include <tracer/model.h>
#include <tracer/trace.h>
#include <ui/canvas.h>
#include <ui/ui.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- the output file: written beside its target, renamed once whole ------------------------- */

struct export_out {
    FILE *f;
    const char *path; /* NULL: standard output */
    char *tmp;        /* the temporary file beside path */
};

static int out_open(struct cli *c, struct export_out *o)
{
    *o = (struct export_out){.f = stdout};
    const char *path = cli_value(c, "output");
    if (!path || strcmp(path, "-") == 0)
        return 0;
    size_t plen = strlen(path);
    o->tmp = malloc(plen + 16);
    if (!o->tmp)
        return cli_error(c, 1, "out of memory");
    snprintf(o->tmp, plen + 16, "%s.tmp-XXXXXX", path);
    int fd = mkstemp(o->tmp);
    if (fd < 0) {
        int e = errno;
        free(o->tmp);
        return cli_error(c, 1, "%s: %s", path, strerror(e));
    }
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) < 0 || !(o->f = fdopen(fd, "w"))) {
        int e = errno;
        close(fd);
        unlink(o->tmp);
        free(o->tmp);
        return cli_error(c, 1, "%s: %s", path, strerror(e));
    }
    o->path = path;
    return 0;
}

/* Completes the output when `ok`, else removes what was written; returns the exit status. */
static int out_finish(struct cli *c, struct export_out *o, bool ok)
{
    if (!o->path) {
        if (fflush(stdout) != 0 && ok)
            return cli_error(c, 1, "standard output: %s", strerror(errno));
        return ok ? 0 : 1;
    }
    int e = 0;
    if (fflush(o->f) != 0 || ferror(o->f))
        e = errno ? errno : EIO;
    if (fclose(o->f) != 0 && !e)
        e = errno;
    if (ok && !e && rename(o->tmp, o->path) < 0)
        e = errno;
    if (!ok || e)
        unlink(o->tmp);
    free(o->tmp);
    if (ok && e)
        return cli_error(c, 1, "%s: %s", o->path, strerror(e));
    return ok ? 0 : 1;
}

/* ---- progress on standard error, for exports that take more than a moment ----------------- */

static double seconds_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

void export_progress_init(struct export_progress *p)
{
    *p = (struct export_progress){.tty = isatty(STDERR_FILENO) == 1};
    clock_gettime(CLOCK_MONOTONIC, &p->start);
}

void export_progress_show(struct export_progress *p, uint64_t done, uint64_t total)
{
    if (!p->tty || !total || seconds_since(&p->start) < 1.0)
        return;
    fprintf(stderr, "\r%s export: %3u%% of %" PRIu64 " events", cli_program,
            (unsigned)(done * 100 / total), total);
    p->shown = true;
}

void export_progress_end(struct export_progress *p)
{
    if (p->shown)
        fputs("\r\033[K", stderr);
}

/* ---- positions ---------------------------------------------------------------------------- */

/* --name as a position of the trace (ui_parse_position), def when absent. */
static int parse_position(struct cli *c, struct seeker *s, const char *name, uint64_t def,
                          uint64_t *pos)
{
    const char *text = cli_value(c, name);
    *pos = def;
    char err[256];
    if (text && ui_parse_position(s, text, pos, err, sizeof err) < 0)
        return cli_error(c, CLI_EXIT_USAGE, "--%s: %s: %s", name, c->args[0], err);
    return 0;
}

int export_parse_range(struct cli *c, struct seeker *s, uint64_t *from, uint64_t *to)
{
    int rc = parse_position(c, s, "from", 0, from);
    if (!rc)
        rc = parse_position(c, s, "to", seeker_event_count(s), to);
    if (!rc && *from > *to)
        rc = cli_error(c, CLI_EXIT_USAGE, "--from %s is after --to %s", cli_value(c, "from"),
                       cli_value(c, "to") ? cli_value(c, "to") : "end");
    return rc;
}

struct trace_reader *export_open_reader_at(struct cli *c, uint64_t seq)
{
    struct trace_reader *r = view_open_trace(c);
    if (r && trace_reader_seek(r, seq) < 0) {
        cli_error(c, 1, "%s", trace_reader_error(r));
        trace_reader_free(r);
        return NULL;
    }
    return r;
}

/* The length of the UTF-8 sequence at s (at most n bytes), 0 when it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t len = s[0] < 0x80 ? 1 : s[0] >= 0xc2 && s[0] <= 0xdf ? 2 : s[0] >= 0xe0 && s[0] <= 0xef ? 3
               : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;
    if (len == 0 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) || (s[0] == 0xf0 && s[1] < 0x90) ||
        (s[0] == 0xf4 && s[1] >= 0x90))
        return 0; /* overlong, a surrogate, past U+10FFFF */
    return len;
}

void export_json_text(FILE *f, const char *s, size_t len)
{
    fputc('"', f);
    for (size_t i = 0; s && i < len && s[i];) {
        const unsigned char *u = (const unsigned char *)s + i;
        size_t n = utf8_len(u, len - i);
        if (n == 0) {
            fputs("\\ufffd", f);
            i++;
        } else if (u[0] == '"' || u[0] == '\\') {
            fprintf(f, "\\%c", u[0]);
            i++;
        } else if (u[0] < 0x20) {
            fprintf(f, "\\u%04x", u[0]);
            i++;
        } else {
            fwrite(u, 1, n, f);
            i += n;
        }
    }
    fputc('"', f);
}

/* ==== collapsed ============================================================================ */

/* Bytes by stack id: open addressing on the id (+1, so that 0 marks an empty slot). */
struct stack_bytes {
    uint64_t *keys, *bytes;
    size_t cap, n;
};

static bool sb_add(struct stack_bytes *t, uint32_t stack, uint64_t bytes)
{
    if (2 * (t->n + 1) > t->cap) {
        struct stack_bytes g = {.cap = t->cap ? 2 * t->cap : 256};
        g.keys = calloc(g.cap, sizeof *g.keys);
        g.bytes = calloc(g.cap, sizeof *g.bytes);
        if (!g.keys || !g.bytes) {
            free(g.keys);
            free(g.bytes);
            return false;
        }
        for (size_t i = 0; i < t->cap; i++)
            if (t->keys[i]) {
                size_t j = (size_t)(t->keys[i] * 0x9e3779b97f4a7c15u) & (g.cap - 1);
                while (g.keys[j])
                    j = (j + 1) & (g.cap - 1);
                g.keys[j] = t->keys[i];
                g.bytes[j] = t->bytes[i];
                g.n++;
            }
        free(t->keys);
        free(t->bytes);
        *t = g;
    }
    uint64_t key = (uint64_t)stack + 1;
    size_t j = (size_t)(key * 0x9e3779b97f4a7c15u) & (t->cap - 1);
    while (t->keys[j] && t->keys[j] != key)
        j = (j + 1) & (t->cap - 1);
    if (!t->keys[j]) {
        t->keys[j] = key;
        t->n++;
    }
    t->bytes[j] += bytes;
    return true;
}

static void sb_release(struct stack_bytes *t)
{
    free(t->keys);
    free(t->bytes);
}

struct folded {
    char *text;
    uint64_t bytes;
};

static int folded_cmp(const void *a, const void *b)
{
    return strcmp(((const struct folded *)a)->text, ((const struct folded *)b)->text);
}

/* One frame as a folded-stack line may hold it: no ';' (the separator) and no line breaks. */
static void put_frame(FILE *f, const char *text, size_t len)
{
    struct model_frame_info fi;
    model_frame_parse(text, len, &fi);
    char buf[600];
    if (fi.python)
        snprintf(buf, sizeof buf, "%.*s (%.*s:%u)", (int)fi.function_len, fi.function,
                 (int)fi.file_len, fi.file, fi.line);
    else
        snprintf(buf, sizeof buf, "%.*s", (int)(len < 500 ? len : 500), text);
    for (char *q = buf; *q; q++)
        if (*q == ';' || *q == '\n' || *q == '\r' || *q == '\t')
            *q = *q == ';' ? ',' : ' ';
    fputs(buf, f);
}

/* The stack's frames, outermost first, joined by ';' (malloc'd). */
static char *stack_text(const struct model *m, uint32_t id)
{
    char *s = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&s, &len);
    if (!f)
        return NULL;
    struct model_stack st;
    if (id == 0 || !model_stack(m, id, &st) || st.depth == 0) {
        fputs(id ? "[unknown call stack]" : "[no call stack]", f);
    } else {
        bool first = true;
        for (uint32_t i = st.depth; i-- > 0;) {
            const char *text;
            size_t tlen;
            if (!model_stack_frame(m, id, i, &text, &tlen))
                continue;
            if (!first)
                fputc(';', f);
            first = false;
            put_frame(f, text, tlen);
        }
        if (first)
            fputs("[unknown call stack]", f);
    }
    if (fclose(f) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

static int write_folded(struct cli *c, const struct model *m, struct stack_bytes *t, FILE *out)
{
    struct folded *lines = calloc(t->n ? t->n : 1, sizeof *lines);
    if (!lines)
        return cli_error(c, 1, "out of memory");
    size_t n = 0;
    int status = 0;
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->keys[i] || !t->bytes[i])
            continue;
        lines[n].text = stack_text(m, (uint32_t)(t->keys[i] - 1));
        lines[n].bytes = t->bytes[i];
        if (!lines[n++].text) {
            status = cli_error(c, 1, "out of memory");
            goto out_lines;
        }
    }
    qsort(lines, n, sizeof *lines, folded_cmp);
    for (size_t i = 0; i < n;) {
        uint64_t bytes = lines[i].bytes;
        size_t j = i + 1;
        for (; j < n && strcmp(lines[j].text, lines[i].text) == 0; j++)
            bytes += lines[j].bytes;
        fprintf(out, "%s %" PRIu64 "\n", lines[i].text, bytes);
        i = j;
    }
out_lines:
    for (size_t i = 0; i < n; i++)
        free(lines[i].text);
    free(lines);
    return status;
}

/* True when the trace defines call stacks (stack_def events). */
static int trace_has_stacks(struct cli *c, bool *has)
{
    struct trace_reader *r = view_open_trace(c);
    if (!r)
        return 1;
    size_t nk = trace_reader_kind_count(r);
    uint64_t *counts = calloc(nk ? nk : 1, sizeof *counts);
    int status = 0;
    if (!counts) {
        status = cli_error(c, 1, "out of memory");
    } else if (trace_reader_count_kinds(r, counts) < 0) {
        status = cli_error(c, 1, "%s", trace_reader_error(r));
    } else {
        *has = false;
        for (size_t i = 0; i < nk; i++)
            if (trace_reader_kind_own(r, i) == EV_STACK_DEF && counts[i])
                *has = true;
    }
    free(counts);
    trace_reader_free(r);
    return status;
}

/* The live blocks of the model, by stack: pool blocks at their block size, raw blocks at theirs. */
static int live_by_stack(struct cli *c, const struct model *m, struct stack_bytes *t)
{
    struct model_geometry geo;
    model_geometry(m, &geo);
    uint8_t *states = malloc(geo.pool_size);
    if (!states)
        return cli_error(c, 1, "out of memory");
    bool ok = true;
    uint32_t slots = model_arena_slots(m);
    struct model_arena a;
    for (uint32_t slot = 0; ok && slot < slots; slot++) {
        if (!model_arena_at(m, slot, &a))
            continue;
        for (uint32_t i = 0; ok && i < a.npools; i++) {
            struct model_pool pool;
            if (!model_pool_at(m, slot, i, &pool) || !pool.count)
                continue;
            size_t nb = model_pool_blocks(m, pool.addr, states, geo.pool_size);
            for (size_t b = 0; ok && b < nb && b < geo.pool_size; b++) {
                struct model_block blk;
                if (states[b] != MODEL_BLOCK_ALLOCATED ||
                    !model_block_find(m, pool.addr + geo.pool_overhead + b * pool.size, &blk))
                    continue;
                ok = sb_add(t, blk.stack, blk.size);
            }
        }
    }
    free(states);
    size_t cursor = 0;
    struct model_raw raw;
    while (ok && model_raw_next(m, &cursor, &raw))
        ok = sb_add(t, raw.stack, raw.size);
    return ok ? 0 : cli_error(c, 1, "out of memory");
}

/* The bytes asked for by the allocations among events [from, to), by stack. */
static int allocated_by_stack(struct cli *c, uint64_t from, uint64_t to, struct stack_bytes *t)
{
    struct trace_reader *r = export_open_reader_at(c, from);
    if (!r)
        return 1;
    struct export_progress prog;
    export_progress_init(&prog);
    struct event evs[MODEL_BATCH];
    uint64_t seq = from;
    int status = 0;
    while (seq < to && !status) {
        size_t want = to - seq < MODEL_BATCH ? (size_t)(to - seq) : MODEL_BATCH;
        ssize_t n = trace_reader_read(r, evs, want);
        if (n <= 0) {
            status = cli_error(c, 1, "%s", n < 0 ? trace_reader_error(r) : "the trace ends early");
            break;
        }
        for (ssize_t i = 0; i < n && !status; i++) {
            const struct event *ev = &evs[i];
            bool ok = true;
            if (ev->kind == EV_BLOCK_ALLOC)
                ok = sb_add(t, (uint32_t)ev->u.block_alloc.stack, ev->u.block_alloc.size);
            else if (ev->kind == EV_RAW_ALLOC)
                ok = sb_add(t, (uint32_t)ev->u.raw_alloc.stack, ev->u.raw_alloc.size);
            if (!ok)
                status = cli_error(c, 1, "out of memory");
        }
        seq += (uint64_t)n;
        if ((seq & 0xfffff) < MODEL_BATCH)
            export_progress_show(&prog, seq - from, to - from);
    }
    export_progress_end(&prog);
    trace_reader_free(r);
    return status;
}

static int export_collapsed(struct cli *c, struct seeker *s, bool range, uint64_t at, FILE *f)
{
    bool has = false;
    int status = trace_has_stacks(c, &has);
    if (status)
        return status;
    if (!has)
        return cli_error(c, 1, "%s: recorded without call stacks (record it with --stacks)", c->args[0]);
    struct stack_bytes t = {0};
    uint64_t from = 0, to = at;
    if (range && (status = export_parse_range(c, s, &from, &to)) != 0)
        return status;
    if (range)
        status = allocated_by_stack(c, from, to, &t);
    /* the stacks are defined before the events that name them: the model at `to` knows them all */
    if (!status && seeker_seek(s, to) < 0)
        status = cli_error(c, 1, "%s", seeker_error(s));
    if (!status && !range)
        status = live_by_stack(c, seeker_model(s), &t);
    if (!status)
        status = write_folded(c, seeker_model(s), &t, f);
    sb_release(&t);
    return status;
}

/* ==== json ================================================================================= */

static void jaddr(FILE *f, const char *key, uint64_t addr)
{
    fprintf(f, "\"%s\":\"0x%" PRIx64 "\"", key, addr);
}

/* Opens an element of a list of things named by their address (after a comma, but the first). */
static void jitem_at(FILE *f, bool first, uint64_t addr)
{
    fprintf(f, "%s\n{", first ? "" : ",");
    jaddr(f, "addr", addr);
}

static void json_arenas(FILE *f, const struct model *m)
{
    static const char *const list[] = {[MODEL_ARENA_USABLE] = "usable", [MODEL_ARENA_FULL] = "full",
                                       [MODEL_ARENA_DETACHED] = "detached"};
    fputs(",\n\"arenas\":[", f);
    uint32_t slots = model_arena_slots(m);
    bool first = true;
    struct model_arena a;
    for (uint32_t slot = 0; slot < slots; slot++) {
        if (!model_arena_at(m, slot, &a))
            continue;
        fprintf(f, "%s\n{\"slot\":%" PRIu32 ",\"serial\":%" PRIu64 ",", first ? "" : ",", a.slot, a.serial);
        first = false;
        jaddr(f, "base", a.base);
        fprintf(f, ",\"sliver\":%" PRIu32 ",\"npools\":%" PRIu32 ",\"nfreepools\":%" PRIu32
                   ",\"ncarved\":%" PRIu32 ",\"used\":%" PRIu32 ",\"full\":%" PRIu32 ",\"empty\":%" PRIu32
                   ",\"list\":\"%s\",\"retained\":%s,\"pools\":[",
                a.sliver, a.npools, a.nfreepools, a.ncarved, a.nused, a.nfull, a.nempty, list[a.list],
                a.is_retained ? "true" : "false");
        for (uint32_t i = 0; i < a.npools; i++) {
            struct model_pool p;
            if (!model_pool_at(m, slot, i, &p))
                continue;
            fprintf(f, "%s{\"index\":%" PRIu32 ",", i ? "," : "", p.index);
            jaddr(f, "addr", p.addr);
            fprintf(f, ",\"state\":\"%s\"", model_pool_state_name(p.state));
            if (p.szidx != MODEL_NO_CLASS)
                fprintf(f, ",\"class\":%" PRIu32 ",\"size\":%" PRIu32 ",\"blocks\":%" PRIu32
                           ",\"capacity\":%" PRIu32,
                        p.szidx, p.size, p.count, p.capacity);
            fputc('}', f);
        }
        fputs("]}", f);
    }
    fputs("]", f);
}

static void json_classes(FILE *f, const struct model *m, uint32_t nclasses)
{
    fputs(",\n\"classes\":[", f);
    for (uint32_t i = 0; i < nclasses; i++) {
        struct model_class k;
        if (!model_class_at(m, i, &k))
            continue;
        fprintf(f, "%s\n{\"class\":%" PRIu32 ",\"size\":%" PRIu32 ",\"capacity\":%" PRIu32
                   ",\"pools\":%" PRIu64 ",\"used_pools\":%" PRIu64 ",\"full_pools\":%" PRIu64
                   ",\"empty_pools\":%" PRIu64 ",\"blocks\":%" PRIu64 ",\"avail\":%" PRIu64
                   ",\"requested\":%" PRIu64 "}",
                i ? "," : "", k.szidx, k.size, k.capacity, k.pools, k.used_pools, k.full_pools,
                k.empty_pools, k.in_use, k.avail, k.requested);
    }
    fputs("]", f);
}

static void json_raw(FILE *f, const struct model *m)
{
    static const char *const why[] = {
#define TEXT_ITEM(name, text) [EV_##name] = #name,
        EV_RAW_WHY(TEXT_ITEM)
#undef TEXT_ITEM
    };
    fputs(",\n\"raw\":[", f);
    size_t cursor = 0;
    struct model_raw r;
    for (bool first = true; model_raw_next(m, &cursor, &r); first = false) {
        jitem_at(f, first, r.addr);
        fprintf(f, ",\"size\":%" PRIu64 ",\"why\":\"%s\",\"stack\":%" PRIu32 "}", r.size,
                r.why < EV_RAW_WHY_COUNT ? why[r.why] + 4 : "?", r.stack);
    }
    fputs("]", f);
}

static void json_objects(FILE *f, const struct model *m)
{
    fputs(",\n\"objects\":[", f);
    size_t cursor = 0;
    struct model_object o;
    for (bool first = true; model_object_next(m, &cursor, &o); first = false) {
        jitem_at(f, first, o.addr);
        fputs(",\"type\":", f);
        export_json_text(f, o.type_name, o.type_name ? strlen(o.type_name) : 0);
        fprintf(f, ",\"size\":%" PRIu64 ",\"refcnt\":%" PRIu64 ",", o.size, o.refcnt);
        if (o.block)
            jaddr(f, "block", o.block);
        else
            fputs("\"block\":null", f);
        if (o.gen >= 0)
            fprintf(f, ",\"generation\":%" PRId32, o.gen);
        else
            fputs(",\"generation\":null", f);
        fprintf(f, ",\"stack\":%" PRIu32 "}", o.stack);
    }
    fputs("]", f);
}

static void json_gc(FILE *f, const struct model *m, const struct trace_header *h)
{
    struct model_gc gc;
    model_gc(m, &gc);
    fprintf(f, ",\n\"gc\":{\"enabled\":%s,\"collecting\":%s,\"collections\":%" PRIu64
               ",\"collected\":%" PRIu64 ",\"uncollectable\":%" PRIu64 ",\"garbage\":%" PRIu64
               ",\"generations\":[",
            gc.enabled ? "true" : "false", gc.collecting ? "true" : "false", gc.collections,
            gc.collected_total, gc.uncollectable_total, gc.garbage);
    for (uint32_t g = 0; g <= gc.ngenerations && g < MODEL_MAX_GENERATIONS; g++) {
        const char *name = g < gc.ngenerations && g < TRACE_MAX_GENERATIONS ? h->generation_names[g]
                                                                            : "permanent";
        fprintf(f, "%s\n{\"generation\":%" PRIu32 ",\"name\":", g ? "," : "", g);
        export_json_text(f, name, strnlen(name, 16));
        fprintf(f, ",\"count\":%" PRIu64 ",\"threshold\":%" PRIu64 ",\"objects\":%" PRIu64
                   ",\"collections\":%" PRIu64 "}",
                gc.gen[g].count, gc.gen[g].threshold, gc.gen[g].objects, gc.gen[g].collections);
    }
    fputs("]}", f);
}

static int export_json(struct cli *c, struct seeker *s, uint64_t at, FILE *f)
{
    if (seeker_seek(s, at) < 0)
        return cli_error(c, 1, "%s", seeker_error(s));
    const struct model *m = seeker_model(s);
    const struct trace_header *h = seeker_header(s);
    struct model_geometry geo;
    model_geometry(m, &geo);
    struct model_totals t;
    model_totals(m, &t);
    fputs("{\"format\":\"arenascope export json 1\",\"file\":", f);
    export_json_text(f, c->args[0], strlen(c->args[0]));
    fprintf(f, ",\"position\":%" PRIu64 ",\"events\":%" PRIu64 ",\"profile\":", at,
            seeker_event_count(s));
    export_json_text(f, h->profile, strnlen(h->profile, sizeof h->profile));
    fputs(",\"gc_profile\":", f);
    export_json_text(f, h->gc_profile, strnlen(h->gc_profile, sizeof h->gc_profile));
    fprintf(f, ",\n\"geometry\":{\"alignment\":%" PRIu32 ",\"threshold\":%" PRIu32
               ",\"pool_size\":%" PRIu32 ",\"arena_size\":%" PRIu32 ",\"pool_overhead\":%" PRIu32
               ",\"classes\":%" PRIu32 ",\"pools_per_arena\":%" PRIu32 "}",
            geo.alignment, geo.threshold, geo.pool_size, geo.arena_size, geo.pool_overhead,
            geo.nclasses, geo.max_pools);
    fprintf(f, ",\n\"totals\":{\"blocks\":%" PRIu64 ",\"block_bytes\":%" PRIu64
               ",\"requested_bytes\":%" PRIu64 ",\"raw_blocks\":%" PRIu64 ",\"raw_bytes\":%" PRIu64
               ",\"arenas\":%" PRIu32 ",\"arena_bytes\":%" PRIu64 ",\"objects\":%" PRIu64
               ",\"mallocs\":%" PRIu64 ",\"frees\":%" PRIu64 ",\"arenas_total\":%" PRIu64
               ",\"arenas_highwater\":%" PRIu64 "}",
            t.blocks, t.block_bytes, t.requested_bytes, t.raw_blocks, t.raw_bytes,
            model_arena_count(m), t.arena_bytes, t.objects, t.mallocs, t.frees, t.arenas_total,
            t.arenas_highwater);
    struct model_step st;
    if (model_step_current(m, &st)) {
        fprintf(f, ",\n\"step\":{\"number\":%" PRIu64 ",\"event\":%" PRIu64 ",\"label\":", st.number, st.seq);
        export_json_text(f, st.label, st.label_len);
        fputs("}", f);
    } else {
        fputs(",\n\"step\":null", f);
    }
    json_arenas(f, m);
    json_classes(f, m, geo.nclasses);
    json_raw(f, m);
    json_objects(f, m);
    json_gc(f, m, h);
    fputs("}\n", f);
    return 0;
}

/* ==== html ================================================================================= */

#define HTML_MAX_STEPS 1000 /* screens in one handout */

static void html_text(FILE *f, const char *s, size_t len)
{
    for (size_t i = 0; i < len && s[i]; i++) {
        char ch = s[i];
        if (ch == '<')
            fputs("&lt;", f);
        else if (ch == '>')
            fputs("&gt;", f);
        else if (ch == '&')
            fputs("&amp;", f);
        else if (ch == '"')
            fputs("&quot;", f);
        else if ((unsigned char)ch < 0x20 && ch != '\n' && ch != '\t')
            fputc(' ', f);
        else
            fputc(ch, f);
    }
}

static const char html_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta name=\"generator\" content=\"arenascope export --format html\">\n<title>";
static const char html_style[] =
    "</title>\n<style>\n"
    "body{font-family:system-ui,sans-serif;margin:1em auto;max-width:1200px;padding:0 1em;color:#222}\n"
    "h1{font-size:1.3em}nav{position:sticky;top:0;background:#fff;padding:.4em 0;border-bottom:1px solid #ccc}\n"
    "nav button{font-size:1em;padding:.2em .8em}#where{margin:0 1em}\n"
    "section{margin:1em 0 2em}section h2{font-size:1em;margin:.2em 0}section p{font-size:1.1em;margin:.3em 0 .6em}\n"
    "section svg{max-width:100%;height:auto;border:1px solid #ccc}\n"
    "body.js section{display:none}body.js section.on{display:block}\n"
    "@media print{nav{display:none}body.js section{display:block;page-break-after:always}}\n"
    "</style>\n</head>\n<body>\n";
static const char html_script[] =
    "<script>\n"
    "(function(){\n"
    "  var steps=document.querySelectorAll('section'),i=0,where=document.getElementById('where');\n"
    "  if(!steps.length)return;\n"
    "  document.body.className='js';\n"
    "  function show(k){\n"
    "    i=Math.max(0,Math.min(steps.length-1,k));\n"
    "    for(var j=0;j<steps.length;j++)steps[j].className=j==i?'on':'';\n"
    "    where.textContent='step '+(i+1)+' of '+steps.length;\n"
    "    if(location.hash!='#'+steps[i].id)history.replaceState(null,'','#'+steps[i].id);\n"
    "  }\n"
    "  document.getElementById('prev').onclick=function(){show(i-1)};\n"
    "  document.getElementById('next').onclick=function(){show(i+1)};\n"
    "  document.getElementById('first').onclick=function(){show(0)};\n"
    "  document.getElementById('last').onclick=function(){show(steps.length-1)};\n"
    "  document.addEventListener('keydown',function(e){\n"
    "    if(e.key=='ArrowRight'||e.key=='ArrowDown'||e.key=='PageDown'||e.key==' '){show(i+1);e.preventDefault()}\n"
    "    else if(e.key=='ArrowLeft'||e.key=='ArrowUp'||e.key=='PageUp'){show(i-1);e.preventDefault()}\n"
    "    else if(e.key=='Home')show(0);else if(e.key=='End')show(steps.length-1);\n"
    "  });\n"
    "  var k=0;\n"
    "  for(var j=0;j<steps.length;j++)if('#'+steps[j].id==location.hash)k=j;\n"
    "  show(k);\n"
    "})();\n"
    "</script>\n</body>\n</html>\n";

static int export_html(struct cli *c, struct seeker *s, FILE *f)
{
    int cols = 120, rows = 40;
    const char *size = cli_value(c, "size");
    if (size && !cli_parse_screen_size(size, 80, 400, 24, 200, &cols, &rows))
        return cli_error(c, CLI_EXIT_USAGE, "--size: expected COLSxROWS from 80x24 to 400x200, got '%s'", size);
    /* the steps whose markers fall in the range */
    uint64_t from = 0, to = seeker_event_count(s);
    int rc = export_parse_range(c, s, &from, &to);
    if (rc)
        return rc;
    const struct model_summary *sum = seeker_summary(s);
    uint64_t nsteps = 0, first = 0, last = 0;
    for (size_t i = 0; i < sum->nmarks; i++) {
        if (sum->marks[i].kind != MODEL_TL_STEP)
            continue;
        nsteps++;
        if (sum->marks[i].seq >= from && sum->marks[i].seq < to) {
            first = first ? first : nsteps;
            last = nsteps;
        }
    }
    if (nsteps == 0)
        return cli_error(c, 1, "%s: no step markers: a handout shows one screen a step", c->args[0]);
    if (first == 0)
        return cli_error(c, 1, "%s: no step marker between --from and --to", c->args[0]);
    if (last - first + 1 > HTML_MAX_STEPS)
        return cli_error(c, 1, "%s: %" PRIu64 " step markers; a handout takes at most %d (choose with --from/--to)",
                         c->args[0], last - first + 1, HTML_MAX_STEPS);
    struct ui_config cfg = {.title = c->args[0]};
    cfg.look.color = true;
    struct ui_app *app;
    if (ui_app_new(&app, s, &cfg) < 0)
        return cli_error(c, 1, "out of memory");
    int status = 1;
    struct canvas canvas;
    if (canvas_init(&canvas, cols, rows, false) < 0) {
        cli_error(c, 1, "out of memory");
        goto out_app;
    }
    const char *base = strrchr(c->args[0], '/') ? strrchr(c->args[0], '/') + 1 : c->args[0];
    fputs(html_head, f);
    html_text(f, base, strlen(base));
    fputs(" - arenascope", f);
    fputs(html_style, f);
    fputs("<h1>", f);
    html_text(f, base, strlen(base));
    if (first == 1 && last == nsteps)
        fprintf(f, ": %" PRIu64 " steps</h1>\n", nsteps);
    else
        fprintf(f, ": steps %" PRIu64 " to %" PRIu64 " of %" PRIu64 "</h1>\n", first, last, nsteps);
    fputs("<nav><button id=\"first\">&#x21E4;</button> <button id=\"prev\">&larr; previous</button>"
          "<span id=\"where\"></span><button id=\"next\">next &rarr;</button> <button id=\"last\">&#x21E5;</button>"
          " <small>(arrow keys step)</small></nav>\n",
          f);
    struct export_progress prog;
    export_progress_init(&prog);
    for (uint64_t k = first; k <= last; k++) {
        char where[40], err[256];
        uint64_t pos;
        snprintf(where, sizeof where, "step:%" PRIu64, k);
        if (ui_parse_position(s, where, &pos, err, sizeof err) < 0) {
            cli_error(c, 1, "%s: %s", c->args[0], err);
            goto out_canvas;
        }
        if (ui_app_render(app, pos, "all", &canvas) < 0) {
            cli_error(c, 1, "%s: %s", c->args[0], ui_app_message(app));
            goto out_canvas;
        }
        char *svg = canvas_to_svg(&canvas, false);
        if (!svg) {
            cli_error(c, 1, "out of memory");
            goto out_canvas;
        }
        struct model_step st;
        bool has = model_step_current(seeker_model(s), &st);
        fprintf(f, "<section id=\"step-%" PRIu64 "\">\n<h2>Step %" PRIu64 " of %" PRIu64 ", event %" PRIu64
                   "</h2>\n<p>",
                k, k, nsteps, pos ? pos - 1 : 0);
        if (has)
            html_text(f, st.label, st.label_len);
        fputs("</p>\n", f);
        fputs(svg, f);
        fputs("</section>\n", f);
        free(svg);
        export_progress_show(&prog, k - first + 1, last - first + 1);
    }
    fputs(html_script, f);
    status = 0;
out_canvas:
    export_progress_end(&prog);
    canvas_release(&canvas);
out_app:
    ui_app_free(app);
    return status;
}

/* ==== the command ========================================================================== */

int cmd_export_run(struct cli *c)
{
    static const char *const formats[] = {"perfetto", "collapsed", "json", "html"};
    const char *format = cli_value(c, "format");
    if (!format)
        return cli_error(c, CLI_EXIT_USAGE, "--format is required: perfetto, collapsed, json or html");
    size_t which = 0;
    while (which < sizeof formats / sizeof *formats && strcmp(format, formats[which]) != 0)
        which++;
    if (which == sizeof formats / sizeof *formats)
        return cli_error(c, CLI_EXIT_USAGE, "unknown format '%s' (expected perfetto, collapsed, json or html)",
                         format);
    bool range = cli_value(c, "from") || cli_value(c, "to");
    if (range && cli_value(c, "at"))
        return cli_error(c, CLI_EXIT_USAGE, "--at and --from/--to: one or the other");
    if (which == 0 && cli_value(c, "at"))
        return cli_error(c, CLI_EXIT_USAGE, "--format perfetto takes a range (--from/--to), not --at");
    if (which == 2 && range)
        return cli_error(c, CLI_EXIT_USAGE, "--format json takes --at, not a range");
    if (which == 3 && cli_value(c, "at"))
        return cli_error(c, CLI_EXIT_USAGE, "--format html shows steps: --from/--to choose them, not --at");
    if (which != 3 && cli_value(c, "size"))
        return cli_error(c, CLI_EXIT_USAGE, "--size is for --format html");
    if (which != 0 && cli_value(c, "every"))
        return cli_error(c, CLI_EXIT_USAGE, "--every is for --format perfetto");

    int status;
    uint64_t at;
    struct seeker *s = view_open(c, true, &at, &status);
    if (!s)
        return status;
    struct export_out out;
    if ((status = out_open(c, &out)) != 0)
        goto out_seeker;
    if (which == 0)
        status = export_perfetto(c, s, out.f);
    else if (which == 1)
        status = export_collapsed(c, s, range, at, out.f);
    else if (which == 2)
        status = export_json(c, s, at, out.f);
    else
        status = export_html(c, s, out.f);
    int done = out_finish(c, &out, status == 0);
    if (!status)
        status = done;
out_seeker:
    seeker_free(s);
    return status;
}
