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
 * With --view, the two open side by side in the viewer instead (compare_view.h, ui.h's ui_compare).
 *
 * Exit status: 0 when the traces are the same, 1 when they differ (or one cannot be read), 2 for
 * a mistake on the command line, as diff(1) and cmp(1).
 */
#include "cli.h"
#include "commands.h"
#include "compare_view.h"
#include "view_opts.h"

#include <tracer/evdiff.h>
#include <tracer/model.h>
#include <tracer/stats_report.h>
#include <tracer/trace.h>
#include <ui/narrate.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct side {
    const char *path;
    struct trace_reader *r;
    struct model *m;
    struct ev_ordinals ord;
    struct event ev;
    char str[4096]; /* the event's text, kept past the next read */
};

static void side_close(struct side *s)
{
    model_free(s->m);
    trace_reader_free(s->r);
    ev_ordinals_free(&s->ord);
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
    if (cli_flag(c, "view") && cli_flag(c, "first"))
        return cli_error(c, CLI_EXIT_USAGE, "--first prints where the traces differ, --view shows them: one or the other");
    if (cli_flag(c, "view")) {
        struct compare_pair p;
        const char *at = cli_value(c, "at");
        int rc = compare_open(c, c->args[0], c->args[1], at ? at : "step:0", &p);
        if (rc)
            return rc;
        rc = compare_view_run(c, &p);
        compare_close(&p);
        return rc;
    }
    if (cli_value(c, "at"))
        return cli_error(c, CLI_EXIT_USAGE, "--at is for --view");
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
        int field = ra && rb ? ev_first_difference(&a.ev, &a.ord, &b.ev, &b.ord) : -2;
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
            ev_field_name(a.ev.kind, field, name, sizeof name);
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
