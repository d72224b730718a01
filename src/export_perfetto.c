/*
 * export_perfetto.c - `arenascope export --format perfetto`: the trace as Chrome's trace event
 * JSON, for Perfetto and chrome://tracing (src/cmd_export.c says how the format is laid out).
 */
#include "cli.h"
#include "export.h"

#include <tracer/model.h>
#include <tracer/trace.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_ITEM(name, text) [EV_##name] = text,
static const char *const gc_phase_text[] = {EV_GC_PHASES(TEXT_ITEM)};
static const char *const gc_reason_text[] = {EV_GC_REASONS(TEXT_ITEM)};
#undef TEXT_ITEM

enum { PF_TID_STEPS = 1, PF_TID_GC = 2, PF_TID_ARENAS = 3 };

enum pf_track { PF_BYTES, PF_ARENAS, PF_POOLS, PF_GC_COUNTS, PF_TRACKS };
#define PF_MAX_VALUES MODEL_MAX_GENERATIONS

struct pf_phase {
    uint64_t seq, phase, n;
};

struct pf {
    FILE *f;
    struct model *m;
    uint64_t every;       /* events between two samples of a track, >= 1 */
    uint64_t last_check;  /* the event of the last sampling, UINT64_MAX: none yet */
    bool have[PF_TRACKS];
    uint64_t last[PF_TRACKS][PF_MAX_VALUES];
    uint32_t ngen;        /* collector generations in the counter */
    /* the step marker whose slice is open */
    bool in_step;
    uint64_t step_seq, step_number;
    char *step_label;
    size_t step_label_len;
    /* the collection in progress */
    bool in_gc;
    uint64_t gc_seq, gc_gen, gc_reason;
    struct pf_phase *phases;
    size_t nphases, phases_cap;
    bool failed;          /* out of memory */
};

static void pf_event_head(struct pf *p, const char *ph, uint64_t ts, int tid)
{
    fprintf(p->f, ",\n{\"ph\":\"%s\",\"ts\":%" PRIu64 ",\"pid\":1,\"tid\":%d,\"name\":", ph, ts, tid);
}

static const char *const pf_track_name[PF_TRACKS] = {
    [PF_BYTES] = "bytes in use",
    [PF_ARENAS] = "arenas held",
    [PF_POOLS] = "pools",
    [PF_GC_COUNTS] = "collector counts",
};

/* The values of a counter track now; returns how many. */
static size_t pf_values(struct pf *p, enum pf_track t, uint64_t *v)
{
    switch (t) {
    case PF_BYTES: {
        struct model_totals tot;
        model_totals(p->m, &tot);
        v[0] = tot.block_bytes;
        v[1] = tot.raw_bytes;
        return 2;
    }
    case PF_ARENAS:
        v[0] = model_arena_count(p->m);
        return 1;
    case PF_POOLS: {
        v[0] = v[1] = v[2] = 0;
        uint32_t slots = model_arena_slots(p->m);
        struct model_arena a;
        for (uint32_t i = 0; i < slots; i++)
            if (model_arena_at(p->m, i, &a)) {
                v[0] += a.nused;
                v[1] += a.nfull;
                v[2] += a.nempty;
            }
        return 3;
    }
    case PF_GC_COUNTS: {
        struct model_gc gc;
        model_gc(p->m, &gc);
        for (uint32_t g = 0; g < p->ngen; g++)
            v[g] = gc.gen[g].count;
        return p->ngen;
    }
    case PF_TRACKS:
        break;
    }
    return 0;
}

static void pf_counter_args(struct pf *p, enum pf_track t, const uint64_t *v, size_t n)
{
    /* each value's name in its track's "args"; the collector's are numbered */
    static const char *const names[PF_TRACKS][3] = {
        [PF_BYTES] = {"pool blocks", "raw"},
        [PF_ARENAS] = {"arenas"},
        [PF_POOLS] = {"used", "full", "empty"},
    };
    for (size_t i = 0; i < n; i++) {
        fputs(i ? "," : "", p->f);
        if (t == PF_GC_COUNTS)
            fprintf(p->f, "\"generation %zu\":%" PRIu64, i, v[i]);
        else if (i < 3 && names[t][i])
            fprintf(p->f, "\"%s\":%" PRIu64, names[t][i], v[i]);
        else
            fprintf(p->f, "\"value %zu\":%" PRIu64, i, v[i]);
    }
}

/* Samples every track at event seq (the state right after it) when due or forced, writing the
 * tracks whose values changed. */
static void pf_sample(struct pf *p, uint64_t seq, bool force)
{
    if (!force && p->last_check != UINT64_MAX && seq - p->last_check < p->every)
        return;
    p->last_check = seq;
    for (int t = 0; t < PF_TRACKS; t++) {
        uint64_t v[PF_MAX_VALUES];
        size_t n = pf_values(p, (enum pf_track)t, v);
        if (p->have[t] && memcmp(v, p->last[t], n * sizeof *v) == 0)
            continue;
        p->have[t] = true;
        memcpy(p->last[t], v, n * sizeof *v);
        pf_event_head(p, "C", seq, 0);
        fprintf(p->f, "\"%s\",\"args\":{", pf_track_name[t]);
        pf_counter_args(p, (enum pf_track)t, v, n);
        fputs("}}", p->f);
    }
}

static void pf_close_step(struct pf *p, uint64_t end)
{
    if (!p->in_step)
        return;
    pf_event_head(p, "X", p->step_seq, PF_TID_STEPS);
    export_json_text(p->f, p->step_label, p->step_label_len);
    fprintf(p->f, ",\"cat\":\"step\",\"dur\":%" PRIu64 ",\"args\":{\"step\":%" PRIu64 "}}",
            end - p->step_seq, p->step_number);
    p->in_step = false;
}

static void pf_open_step(struct pf *p, uint64_t seq, uint64_t number, const char *label, size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy) {
        p->failed = true;
        return;
    }
    memcpy(copy, label, len);
    copy[len] = '\0';
    free(p->step_label);
    p->step_label = copy;
    p->step_label_len = len;
    p->step_seq = seq;
    p->step_number = number;
    p->in_step = true;
}

/* Writes the collection begun at gc_seq and its phases, ending at event `end`. */
static void pf_close_gc(struct pf *p, uint64_t end, const struct event_gc_end *e)
{
    pf_event_head(p, "X", p->gc_seq, PF_TID_GC);
    fprintf(p->f, "\"collection of generation %" PRIu64 "\",\"cat\":\"gc\",\"dur\":%" PRIu64
                  ",\"args\":{\"generation\":%" PRIu64 ",\"reason\":",
            p->gc_gen, end - p->gc_seq, p->gc_gen);
    const char *reason = p->gc_reason < EV_GC_REASON_COUNT ? gc_reason_text[p->gc_reason] : "?";
    export_json_text(p->f, reason, strlen(reason));
    if (e)
        fprintf(p->f, ",\"collected\":%" PRIu64 ",\"uncollectable\":%" PRIu64, e->collected,
                e->uncollectable);
    fputs("}}", p->f);
    for (size_t i = 0; i < p->nphases; i++) {
        const struct pf_phase *ph = &p->phases[i];
        uint64_t next = i + 1 < p->nphases ? p->phases[i + 1].seq : end;
        pf_event_head(p, "X", ph->seq, PF_TID_GC);
        const char *name = ph->phase < EV_GC_PHASE_COUNT ? gc_phase_text[ph->phase] : "?";
        export_json_text(p->f, name, strlen(name));
        fprintf(p->f, ",\"cat\":\"gc phase\",\"dur\":%" PRIu64 ",\"args\":{\"objects\":%" PRIu64 "}}",
                next - ph->seq, ph->n);
    }
    p->nphases = 0;
    p->in_gc = false;
}

static void pf_event(struct pf *p, const struct event *ev, uint64_t seq)
{
    if (ev->kind == EV_STEP) {
        pf_close_step(p, seq);
        pf_open_step(p, seq, ev->u.step.number, ev->str, ev->str_len);
    } else if (ev->kind == EV_GC_START) {
        p->in_gc = true;
        p->gc_seq = seq;
        p->gc_gen = ev->u.gc_start.gen;
        p->gc_reason = ev->u.gc_start.reason;
        p->nphases = 0;
    } else if (ev->kind == EV_GC_PHASE && p->in_gc) {
        if (p->nphases == p->phases_cap) {
            size_t cap = p->phases_cap ? 2 * p->phases_cap : 16;
            struct pf_phase *np = realloc(p->phases, cap * sizeof *np);
            if (!np) {
                p->failed = true;
                return;
            }
            p->phases = np;
            p->phases_cap = cap;
        }
        p->phases[p->nphases++] = (struct pf_phase){seq, ev->u.gc_phase.phase, ev->u.gc_phase.n};
    } else if (ev->kind == EV_GC_END && p->in_gc) {
        pf_close_gc(p, seq, &ev->u.gc_end);
    } else if (ev->kind == EV_ARENA_NEW) {
        pf_event_head(p, "i", seq, PF_TID_ARENAS);
        fprintf(p->f, "\"arena obtained\",\"cat\":\"arena\",\"s\":\"t\",\"args\":{\"slot\":%" PRIu64
                      ",\"serial\":%" PRIu64 ",\"base\":\"0x%" PRIx64 "\"}}",
                ev->u.arena_new.slot, ev->u.arena_new.serial, ev->u.arena_new.base);
    } else if (ev->kind == EV_ARENA_FREE) {
        pf_event_head(p, "i", seq, PF_TID_ARENAS);
        fprintf(p->f, "\"arena released\",\"cat\":\"arena\",\"s\":\"t\",\"args\":{\"slot\":%" PRIu64
                      ",\"base\":\"0x%" PRIx64 "\"}}",
                ev->u.arena_free.slot, ev->u.arena_free.base);
    }
}

static void pf_metadata(struct pf *p, const char *what, int tid, const char *name)
{
    pf_event_head(p, "M", 0, tid);
    fprintf(p->f, "\"%s\",\"args\":{\"name\":", what);
    export_json_text(p->f, name, strlen(name));
    fputs("}}", p->f);
}

int export_perfetto(struct cli *c, struct seeker *s, FILE *f)
{
    uint64_t from, to, every;
    int rc = export_parse_range(c, s, &from, &to);
    if (rc)
        return rc;
    if ((rc = cli_uint(c, "every", (to - from) / 20000, false, &every)) != 0)
        return rc;
    struct pf p = {.f = f, .every = every ? every : 1, .last_check = UINT64_MAX};
    if (model_new(&p.m, seeker_header(s)) < 0)
        return cli_error(c, 1, "%s: cannot hold this trace's heap", c->args[0]);
    int status = 1;
    if (from > 0) {
        void *blob;
        size_t len;
        if (seeker_seek(s, from) < 0) {
            cli_error(c, 1, "%s", seeker_error(s));
            goto out_model;
        }
        if (model_save(seeker_model(s), &blob, &len) < 0 || model_load(p.m, blob, len) < 0) {
            cli_error(c, 1, "out of memory");
            goto out_model;
        }
        free(blob);
    }
    struct model_gc gc;
    model_gc(p.m, &gc);
    p.ngen = gc.ngenerations < PF_MAX_VALUES ? gc.ngenerations : PF_MAX_VALUES;
    /* a range that starts inside a step or a collection starts its slice at the range's start */
    struct model_step st;
    if (from > 0 && model_step_current(p.m, &st))
        pf_open_step(&p, from, st.number, st.label, st.label_len);
    if (from > 0 && gc.collecting) {
        p.in_gc = true;
        p.gc_seq = from;
        p.gc_gen = gc.collecting_gen;
        p.gc_reason = gc.reason;
        if (gc.has_phase && (p.phases = malloc(16 * sizeof *p.phases)) != NULL) {
            p.phases_cap = 16;
            p.phases[p.nphases++] = (struct pf_phase){from, gc.phase, gc.phase_n};
        }
    }

    struct trace_reader *r = export_open_reader_at(c, from);
    if (!r)
        goto out_model;
    fputs("{\"displayTimeUnit\":\"ms\",\"otherData\":{\"source\":", f);
    export_json_text(f, c->args[0], strlen(c->args[0]));
    fprintf(f, ",\"time axis\":\"the event number: event N is at N us (1 event = 1 us); a counter"
               " at N us is the heap right after event N\",\"from\":%" PRIu64 ",\"to\":%" PRIu64
               ",\"sample every\":%" PRIu64 ",\"profile\":",
            from, to, p.every);
    export_json_text(f, seeker_header(s)->profile, strlen(seeker_header(s)->profile));
    fputs("},\n\"traceEvents\":[\n", f);
    /* the first event has no comma before it: a metadata record naming the process */
    fputs("{\"ph\":\"M\",\"ts\":0,\"pid\":1,\"tid\":0,\"name\":\"process_name\",\"args\":{\"name\":", f);
    export_json_text(f, c->args[0], strlen(c->args[0]));
    fputs("}}", f);
    pf_metadata(&p, "thread_name", PF_TID_STEPS, "step markers");
    pf_metadata(&p, "thread_name", PF_TID_GC, "collections");
    pf_metadata(&p, "thread_name", PF_TID_ARENAS, "arenas");

    struct export_progress prog;
    export_progress_init(&prog);
    struct event evs[MODEL_BATCH];
    uint64_t seq = from;
    while (seq < to && !p.failed) {
        size_t want = to - seq < MODEL_BATCH ? (size_t)(to - seq) : MODEL_BATCH;
        ssize_t n = trace_reader_read(r, evs, want);
        if (n < 0) {
            cli_error(c, 1, "%s", trace_reader_error(r));
            goto out_reader;
        }
        if (n == 0)
            break;
        for (ssize_t i = 0; i < n; i++, seq++) {
            if (model_fold(p.m, &evs[i]) < 0) {
                cli_error(c, 1, "%s: %s", c->args[0], model_error(p.m));
                goto out_reader;
            }
            pf_event(&p, &evs[i], seq);
            pf_sample(&p, seq, evs[i].kind == EV_STEP || seq + 1 == to);
        }
        if ((seq & 0xfffff) < MODEL_BATCH)
            export_progress_show(&prog, seq - from, to - from);
    }
    if (p.failed) {
        cli_error(c, 1, "out of memory");
        goto out_reader;
    }
    if (seq < to) {
        cli_error(c, 1, "%s: ends at event %" PRIu64 " of %" PRIu64, c->args[0], seq, to);
        goto out_reader;
    }
    if (p.in_gc)
        pf_close_gc(&p, to, NULL);
    pf_close_step(&p, to);
    fputs("\n]}\n", f);
    status = 0;
out_reader:
    export_progress_end(&prog);
    trace_reader_free(r);
out_model:
    free(p.phases);
    free(p.step_label);
    model_free(p.m);
    return status;
}
