/*
 * cmd_diff.c - `arenascope diff A B`: where two traces' heaps part, and why.
 *
 * The two traces are read in lockstep, event by event, each folded into its own model.  Two
 * events are the same when their kinds are and every field is, addresses compared by the order
 * in which each trace first named them (the third address a trace names is the third address the
 * other names), so that the same work recorded twice, or on arenas the system placed elsewhere,
 * is the same.  The first event that differs is printed with its step and, for each side, the
 * event and its sentence from the event log, the model knowing the heap up to there.  Then, with
 * --stats, the two heaps' sys._debugmallocstats() reports at their ends, side by side.
 *
 * Exit status: 0 when the traces are the same, 1 when they differ (or one cannot be read), 2 for
 * a mistake on the command line, as diff(1) and cmp(1).
 */
#include "cli.h"
#include "commands.h"
#include "view_opts.h"

#include <tracer/model.h>
#include <tracer/stats_report.h>
#include <tracer/trace.h>
#include <ui/narrate.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each kind's field types in order, one letter a field (u, i, a, p; s is carried apart), and
 * their names, each followed by a space. */
#define EV_FIELD(t, n) #t
#define X(K, n, fl, tail, say, fields) [EV_##K] = "" fields,
static const char *const field_types[] = {EVENT_KINDS(X)};
#undef EV_FIELD
#define EV_FIELD(t, n) #n " "
static const char *const field_names[] = {EVENT_KINDS(X)};
#undef X
#undef EV_FIELD

/* The name of field f (in the order of field_types, text included) of kind k. */
static void field_name(enum event_kind k, int f, char *buf, size_t len)
{
    const char *p = field_names[k];
    for (int i = 0; i < f && p; i++) {
        p = strchr(p, ' ');
        p = p ? p + 1 : NULL;
    }
    const char *end = p ? strchr(p, ' ') : NULL;
    snprintf(buf, len, "%.*s", p && end ? (int)(end - p) : 1, p && end ? p : "?");
}

/* An address's ordinal: the addresses a trace names, numbered in the order it first names them. */
struct ordinals {
    uint64_t *keys;
    uint64_t *vals;
    size_t cap, n;
};

static uint64_t hash64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

static bool ordinals_grow(struct ordinals *o)
{
    size_t cap = o->cap ? 2 * o->cap : 1024;
    uint64_t *keys = calloc(cap, sizeof *keys), *vals = calloc(cap, sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return false;
    }
    for (size_t i = 0; i < o->cap; i++)
        if (o->keys[i]) {
            size_t j = hash64(o->keys[i]) & (cap - 1);
            while (keys[j])
                j = (j + 1) & (cap - 1);
            keys[j] = o->keys[i];
            vals[j] = o->vals[i];
        }
    free(o->keys);
    free(o->vals);
    o->keys = keys, o->vals = vals, o->cap = cap;
    return true;
}

/* The ordinal of addr (0 stays 0); UINT64_MAX when memory ran out. */
static uint64_t ordinal_of(struct ordinals *o, uint64_t addr)
{
    if (!addr)
        return 0;
    if ((o->n + 1) * 2 > o->cap && !ordinals_grow(o))
        return UINT64_MAX;
    size_t j = hash64(addr) & (o->cap - 1);
    while (o->keys[j] && o->keys[j] != addr)
        j = (j + 1) & (o->cap - 1);
    if (!o->keys[j]) {
        o->keys[j] = addr;
        o->vals[j] = ++o->n;
    }
    return o->vals[j];
}

struct side {
    const char *path;
    struct trace_reader *r;
    struct model *m;
    struct ordinals ord;
    struct event ev;
    char str[4096]; /* the event's text, kept past the next read */
};

/* Which field of a and b differs first, as its index; -1 when none does (kinds are equal). */
static int first_field_difference(struct side *a, struct side *b)
{
    const char *types = field_types[a->ev.kind];
    int f = 0;
    for (const char *t = types; *t; t++) {
        if (*t == 's')
            continue;
        uint64_t x = a->ev.u.f[f], y = b->ev.u.f[f];
        if (*t == 'a' || *t == 'p') {
            x = ordinal_of(&a->ord, x);
            y = ordinal_of(&b->ord, y);
        }
        if (x != y)
            return f;
        f++;
    }
    if (a->ev.str_len != b->ev.str_len || (a->ev.str_len && memcmp(a->ev.str, b->ev.str, a->ev.str_len) != 0))
        return f;
    return -1;
}

static void side_close(struct side *s)
{
    model_free(s->m);
    trace_reader_free(s->r);
    free(s->ord.keys);
    free(s->ord.vals);
}

static int side_open(struct cli *c, struct side *s, const char *path)
{
    memset(s, 0, sizeof *s);
    s->path = path;
    char err[512];
    if (trace_reader_open(&s->r, path, 0, err, sizeof err) < 0)
        return cli_error(c, 1, "%s", err);
    if (model_new(&s->m, trace_reader_header(s->r)) < 0) {
        trace_reader_free(s->r);
        return cli_error(c, 1, "out of memory");
    }
    return 0;
}

/* Reads the next event: 1, 0 at the end, -1 (said) on an error. */
static int side_next(struct cli *c, struct side *s)
{
    int rc = trace_reader_next(s->r, &s->ev);
    if (rc < 0) {
        cli_error(c, 1, "%s: %s", s->path, trace_reader_error(s->r));
        return -1;
    }
    if (rc == 1 && s->ev.str_len) {
        size_t n = s->ev.str_len < sizeof s->str ? s->ev.str_len : sizeof s->str;
        memcpy(s->str, s->ev.str, n);
        s->ev.str = s->str;
        s->ev.str_len = (uint32_t)n;
    }
    return rc;
}

static void say_side(const char *name, struct side *s, bool has)
{
    if (!has) {
        printf("  %s: the trace ends here (%" PRIu64 " events)\n", name, s->ev.seq + 1);
        return;
    }
    char sentence[1024];
    ui_narrate(s->m, &s->ev, sentence, sizeof sentence);
    printf("  %s: %s: ", name, event_kind_name(s->ev.kind));
    cli_put_shown(stdout, sentence);
    putchar('\n');
}

static void step_of(struct side *s, char *buf, size_t len)
{
    struct model_step st;
    if (model_step_current(s->m, &st))
        snprintf(buf, len, "in step %" PRIu64 ", %.*s", st.number, (int)(st.label_len > 120 ? 120 : st.label_len),
                 st.label);
    else
        snprintf(buf, len, "before the first step");
}

/* Both stats reports at the traces' ends, in two columns. */
static void print_stats_side_by_side(struct side *a, struct side *b)
{
    char *text[2] = {NULL, NULL};
    size_t len[2] = {0, 0};
    struct side *s[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        FILE *mem = open_memstream(&text[i], &len[i]);
        struct heap_stats *st = malloc(sizeof *st);
        if (mem && st) {
            model_get_stats(s[i]->m, st);
            stats_report_print(mem, st, STATS_REPORT_DEFAULT);
        }
        free(st);
        if (mem)
            fclose(mem);
    }
    putchar('\n');
    view_print_side_by_side(stdout, a->path, text[0] ? text[0] : "", b->path, text[1] ? text[1] : "");
    free(text[0]);
    free(text[1]);
}

int cmd_diff_run(struct cli *c)
{
    struct side a, b;
    int status = side_open(c, &a, c->args[0]);
    if (status)
        return status;
    if ((status = side_open(c, &b, c->args[1])) != 0) {
        side_close(&a);
        return status;
    }
    const struct trace_header *ha = trace_reader_header(a.r), *hb = trace_reader_header(b.r);
    if (strcmp(ha->profile, hb->profile) != 0 || strcmp(ha->gc_profile, hb->gc_profile) != 0)
        printf("profiles: A allocator %s, collector %s; B allocator %s, collector %s\n", ha->profile, ha->gc_profile,
               hb->profile, hb->gc_profile);
    status = 0;
    bool failed = false, unfolded[2] = {false, false};
    for (uint64_t n = 0;; n++) {
        int ra = side_next(c, &a), rb = side_next(c, &b);
        if (ra < 0 || rb < 0) {
            status = 1;
            failed = true;
            break;
        }
        if (ra == 0 && rb == 0) {
            printf("%s and %s are the same: %" PRIu64 " events, addresses in the same order\n", a.path, b.path, n);
            break;
        }
        int field = ra && rb && a.ev.kind == b.ev.kind ? first_field_difference(&a, &b) : -2;
        if (field == -1) {
            if (model_fold(a.m, &a.ev) < 0 || model_fold(b.m, &b.ev) < 0) {
                status = cli_error(c, 1, "event %" PRIu64 ": %s", n,
                                   model_error(a.m)[0] ? model_error(a.m) : model_error(b.m));
                failed = true;
                break;
            }
            continue;
        }
        char where[200];
        step_of(ra ? &a : &b, where, sizeof where);
        printf("%s and %s differ at event %" PRIu64 " (", a.path, b.path, n);
        cli_put_shown(stdout, where);
        if (field >= 0) {
            char name[48];
            field_name(a.ev.kind, field, name, sizeof name);
            const char *kind = event_kind_name(a.ev.kind);
            printf("): the %s of %s %s event\n", name, ui_article(kind), kind);
        } else {
            printf(")\n");
        }
        say_side("A", &a, ra == 1);
        say_side("B", &b, rb == 1);
        unfolded[0] = ra == 1;
        unfolded[1] = rb == 1;
        status = 1;
        break;
    }
    if (cli_flag(c, "stats") && !failed) {
        /* each heap to its end: the event that differed, then those left */
        struct side *both[2] = {&a, &b};
        for (int i = 0; i < 2; i++) {
            struct side *sd = both[i];
            bool pending = unfolded[i];
            while (pending || side_next(c, sd) == 1) {
                pending = false;
                if (model_fold(sd->m, &sd->ev) < 0)
                    break;
            }
        }
        print_stats_side_by_side(&a, &b);
    }
    side_close(&a);
    side_close(&b);
    if (fflush(stdout) != 0)
        status = cli_error(c, 1, "standard output: cannot write");
    return status;
}
