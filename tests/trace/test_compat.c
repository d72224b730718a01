/*
 * Old files keep opening (FORMAT.md section 10).  tests/trace/data/ holds a version 1 trace and
 * its events as `arenascope dump` printed them when the file was made; every later build must
 * read the same events from it.  tests/trace/data/v1/ holds the sample traces of traces/ as
 * version 1 recorded them: they open, seek and check.  Fields the table gained since read as 0, as the mapping rules
 * say, so the expected lines name only the fields the file has.
 *
 * The files were made once by this test with ARENASCOPE_MAKE_COMPAT=DIR in the environment; they
 * are never to be made again (that would test nothing).
 */
#include "helpers.h"

#include <tracer/model.h>

#include <criterion/criterion.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* COMPAT_DIR is tests/trace/data, from meson. */

static uint64_t fixed_clock(void *ctx)
{
    uint64_t *t = ctx;
    return *t += 1000;
}

static void make_files(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/v1-random.trace", dir);
    struct evlist l;
    evlist_random_new(&l, 77, 800);
    struct trace_header h;
    test_header(&h);
    struct trace_writer *w;
    char err[256];
    cr_assert_eq(trace_writer_open(&w, path, &h, err, sizeof err), 0, "%s", err);
    uint64_t t = 0;
    trace_writer_set_clock(w, fixed_clock, &t);
    for (size_t i = 0; i < l.n; i++) {
        struct event tmp;
        trace_writer_emit(w, evlist_at(&l, i, &tmp));
        if (i % 200 == 199)
            trace_writer_flush(w);
    }
    cr_assert_eq(trace_writer_finish(w), 0);
    trace_writer_free(w);
    struct trace_blob b = {.key = 500, .data = "state after 500 events", .len = 22};
    cr_assert_eq(trace_store_checkpoints(path, &b, 1, err, sizeof err), 0, "%s", err);
    snprintf(path, sizeof path, "%s/v1-random.dump", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    static char line[EVENT_FORMAT_MAX];
    for (size_t i = 0; i < l.n; i++) {
        struct event tmp;
        event_format_text(evlist_at(&l, i, &tmp), line, sizeof line);
        fprintf(f, "%s\n", line);
    }
    fclose(f);
    evlist_release(&l);
}

/* Undoes put_quoted's C escapes in place; returns the length. */
static size_t unquote(char *s)
{
    size_t o = 0;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] != '\\') {
            s[o++] = s[i];
            continue;
        }
        char c = s[++i];
        if (c == 'n')
            s[o++] = '\n';
        else if (c == 't')
            s[o++] = '\t';
        else if (c == 'x') {
            char hex[3] = {s[i + 1], s[i + 2], 0};
            s[o++] = (char)strtoul(hex, NULL, 16);
            i += 2;
        } else
            s[o++] = c;
    }
    return o;
}

/* Checks ev against one expected line: "kind name=value ... text=\"...\"". */
static void expect_line(const struct event *ev, char *line, size_t no)
{
    char *sp = strchr(line, ' ');
    if (sp)
        *sp = '\0';
    cr_assert_str_eq(event_kind_name(ev->kind), line, "event %zu", no);
    char *p = sp ? sp + 1 : NULL;
    while (p && *p) {
        char *eq = strchr(p, '=');
        cr_assert_not_null(eq);
        *eq = '\0';
        const char *name = p;
        char *val = eq + 1;
        if (*val == '"') {
            char *endq = val + strlen(val) - 1;
            cr_assert_eq(*endq, '"', "event %zu", no);
            *endq = '\0';
            size_t n = unquote(val + 1);
            cr_assert_str_eq(event_kind_text_name(ev->kind), name, "event %zu", no);
            cr_assert_eq(ev->str_len, n, "event %zu", no);
            cr_assert(n == 0 || memcmp(ev->str, val + 1, n) == 0, "event %zu text", no);
            break; /* the text is last */
        }
        char *next = strchr(val, ' ');
        if (next)
            *next++ = '\0';
        size_t i = 0, nw = event_kind_field_count(ev->kind);
        while (i < nw && strcmp(event_kind_field_name(ev->kind, i), name) != 0)
            i++;
        cr_assert_lt(i, nw, "event %zu: no field '%s'", no, name);
        uint64_t want = event_kind_field_type(ev->kind, i) == 'i' ? (uint64_t)strtoll(val, NULL, 0)
                                                                  : strtoull(val, NULL, 0);
        cr_assert_eq(ev->u.f[i], want, "event %zu field %s", no, name);
        p = next;
    }
}

Test(compat, a_version_1_file_still_reads)
{
    const char *make = getenv("ARENASCOPE_MAKE_COMPAT");
    if (make) {
        make_files(make);
        return;
    }
    struct trace_reader *r;
    char err[512];
    cr_assert_eq(trace_reader_open(&r, COMPAT_DIR "/v1-random.trace", 0, err, sizeof err), 0, "%s", err);
    cr_assert(trace_reader_is_complete(r));
    const struct trace_header *h = trace_reader_header(r);
    cr_assert_eq(h->version, 1);
    cr_assert_str_eq(h->profile, "cpython-3.10");
    cr_assert_str_eq(h->command, "arenascope record -o t.trace churn");
    cr_assert_eq(h->clock_realtime_ns, 1700000000123456789ull);
    cr_assert_eq(trace_reader_chunk_count(r), 4);
    struct trace_chunk_info c;
    trace_reader_chunk(r, 1, &c);
    cr_assert_eq(c.first_seq, 200);
    cr_assert_eq(c.first_ns, 2000);
    cr_assert_eq(trace_reader_checkpoint_count(r), 1);
    cr_assert_eq(trace_reader_checkpoint_seq(r, 0), 500);
    void *buf;
    size_t len;
    cr_assert_eq(trace_reader_checkpoint_load(r, 0, &buf, &len), 0);
    cr_assert_eq(len, 22);
    cr_assert_eq(memcmp(buf, "state after 500 events", 22), 0);
    free(buf);

    FILE *f = fopen(COMPAT_DIR "/v1-random.dump", "r");
    cr_assert_not_null(f);
    static char line[EVENT_FORMAT_MAX];
    size_t no = 0;
    struct event ev;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        cr_assert_eq(trace_reader_next(r, &ev), 1, "event %zu: %s", no, trace_reader_error(r));
        cr_assert_eq(ev.seq, no);
        expect_line(&ev, line, no);
        no++;
    }
    fclose(f);
    cr_assert_eq(no, 800);
    cr_assert_eq(trace_reader_next(r, &ev), 0);
    cr_assert_eq(trace_reader_verify(r), 0, "%s", trace_reader_error(r));
    trace_reader_free(r);
}

/*
 * The sample traces as version 1 wrote them (tests/trace/data/v1/, copied from traces/ before
 * version 2): each opens, passes `check` (its events folded as version 1 meant them, its
 * checkpoints of the model's layout 5 compared with the fold), and serves any position: the
 * seeker's model there, through a checkpoint or not, is the one folded from the start.
 */
Test(compat, version_1_sample_traces_open_seek_and_check, .timeout = 240)
{
    DIR *d = opendir(COMPAT_DIR "/v1");
    cr_assert_not_null(d, "%s/v1", COMPAT_DIR);
    struct dirent *de;
    int files = 0, with_checkpoints = 0;
    struct rng g = {3};
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n < 6 || strcmp(de->d_name + n - 6, ".trace") != 0)
            continue;
        char path[512], err[512];
        snprintf(path, sizeof path, "%s/v1/%s", COMPAT_DIR, de->d_name);
        struct trace_reader *r;
        cr_assert_eq(trace_reader_open(&r, path, 0, err, sizeof err), 0, "%s", err);
        cr_assert_eq(trace_reader_header(r)->version, 1, "%s", path);
        uint64_t bad;
        cr_assert_eq(model_check_trace(r, &bad, err, sizeof err), 0, "%s", err);
        uint64_t count = trace_reader_event_count(r);
        with_checkpoints += trace_reader_checkpoint_count(r) > 0;
        struct seeker *s;
        cr_assert_eq(seeker_open(&s, path, 0, err, sizeof err), 0, "%s", err);
        struct model *m;
        cr_assert_eq(model_new(&m, trace_reader_header(r)), 0);
        cr_assert_eq(trace_reader_seek(r, 0), 0);
        /* positions in ascending order, so that the plain fold goes forward; the seeker jumps */
        uint64_t pos[8];
        for (int i = 0; i < 8; i++)
            pos[i] = i == 7 ? count : rng_below(&g, count + 1);
        for (int i = 0; i < 8; i++)
            for (int j = i + 1; j < 8; j++)
                if (pos[j] < pos[i]) {
                    uint64_t t = pos[i];
                    pos[i] = pos[j];
                    pos[j] = t;
                }
        for (int i = 7; i >= 0; i--) /* the seeker from the end backwards */
            cr_assert_eq(seeker_seek(s, pos[i]), 0, "%s", seeker_error(s));
        for (int i = 0; i < 8; i++) {
            while (model_position(m) < pos[i]) {
                struct event ev;
                cr_assert_eq(trace_reader_next(r, &ev), 1);
                cr_assert_eq(model_fold(m, &ev), 0, "%s: %s", path, model_error(m));
            }
            cr_assert_eq(seeker_seek(s, pos[i]), 0, "%s", seeker_error(s));
            char why[256];
            cr_assert(model_equals(seeker_model(s), m, why, sizeof why), "%s at %llu: %s", path,
                      (unsigned long long)pos[i], why);
            struct event cur;
            cr_assert_eq(seeker_current_event(s, &cur), pos[i] > 0);
            if (pos[i] > 0)
                cr_assert_eq(cur.seq, pos[i] - 1);
        }
        model_free(m);
        seeker_free(s);
        trace_reader_free(r);
        files++;
    }
    closedir(d);
    cr_assert_geq(files, 10);
    cr_assert_geq(with_checkpoints, 1, "a sample with checkpoints of layout 5");
}

/* The events of the version 2 file at from written again by this build (version 3: compressed
 * chunks) to `to`, with the checkpoints a recording gets. */
static void rewrite_in_this_version(const char *from, const char *to)
{
    struct trace_reader *r;
    char err[512];
    cr_assert_eq(trace_reader_open(&r, from, 0, err, sizeof err), 0, "%s", err);
    struct trace_writer *w;
    cr_assert_eq(trace_writer_open(&w, to, trace_reader_header(r), err, sizeof err), 0, "%s", err);
    struct event ev;
    int rc;
    while ((rc = trace_reader_next(r, &ev)) == 1)
        trace_writer_emit(w, &ev);
    cr_assert_eq(rc, 0, "%s", trace_reader_error(r));
    cr_assert_eq(trace_writer_finish(w), 0, "%s", trace_writer_error(w));
    trace_writer_free(w);
    trace_reader_free(r);
    cr_assert_eq(model_build_checkpoints(to, NULL, NULL, err, sizeof err), 0, "%s", err);
}

/* A version 2 file, and the same recording written by this build, fold to the same states at
 * the same positions, each through its own checkpoints; the new one is the smaller.  Returns
 * whether they have checkpoints; false too when the file is not of version 2. */
static bool compare_with_this_version(const char *old, const char *name, struct rng *g, int *files)
{
    char now[512], err[512];
    struct trace_reader *probe;
    cr_assert_eq(trace_reader_open(&probe, old, 0, err, sizeof err), 0, "%s", err);
    bool v2 = trace_reader_header(probe)->version == 2;
    trace_reader_free(probe);
    if (!v2)
        return false;
    (*files)++;
    snprintf(now, sizeof now, "%s", scratch_path(name));
    rewrite_in_this_version(old, now);
    struct seeker *so, *sn;
    cr_assert_eq(seeker_open(&so, old, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(seeker_open(&sn, now, 0, err, sizeof err), 0, "%s", err);
    const struct trace_reader *ro = seeker_reader(so), *rn = seeker_reader(sn);
    cr_assert_eq(trace_reader_header(rn)->version, TRACE_FORMAT_VERSION);
    cr_assert_eq(trace_reader_checkpoint_count(rn), trace_reader_checkpoint_count(ro), "%s", now);
    bool with_checkpoints = trace_reader_checkpoint_count(rn) > 0;
    cr_assert_lt(trace_reader_file_bytes(rn), trace_reader_file_bytes(ro), "%s", old);
    uint64_t count = trace_reader_event_count(ro);
    cr_assert_eq(trace_reader_event_count(rn), count);
    for (int i = 0; i < 10; i++) {
        uint64_t at = i == 0 ? count : rng_below(g, count + 1);
        cr_assert_eq(seeker_seek(so, at), 0, "%s", seeker_error(so));
        cr_assert_eq(seeker_seek(sn, at), 0, "%s", seeker_error(sn));
        char why[256];
        cr_assert(model_equals(seeker_model(so), seeker_model(sn), why, sizeof why), "%s at %llu: %s", old,
                  (unsigned long long)at, why);
    }
    seeker_free(so);
    seeker_free(sn);
    return with_checkpoints;
}

/*
 * Version 3 compressed chunks and blobs.  The samples of traces/ that version 2 recorded, and
 * copies of two of them in tests/trace/data/v2/ (kept should traces/ be recorded again), fold
 * as the same recording written by this build does.
 */
Test(compat, version_2_and_this_version_of_one_recording_fold_the_same, .timeout = 600)
{
    static const char *const dirs[] = {COMPAT_DIR "/v2", TRACES_DIR};
    int files = 0, with_checkpoints = 0;
    struct rng g = {11};
    for (size_t k = 0; k < 2; k++) {
        DIR *d = opendir(dirs[k]);
        cr_assert_not_null(d, "%s", dirs[k]);
        struct dirent *de;
        while ((de = readdir(d))) {
            size_t n = strlen(de->d_name);
            if (n < 6 || strcmp(de->d_name + n - 6, ".trace") != 0)
                continue;
            char old[512], name[300];
            snprintf(old, sizeof old, "%s/%s", dirs[k], de->d_name);
            snprintf(name, sizeof name, "%zu-%s", k, de->d_name);
            with_checkpoints += compare_with_this_version(old, name, &g, &files);
        }
        closedir(d);
    }
    cr_assert_geq(files, 2);
    if (files > 2) /* traces/ still holds version 2 samples: some have checkpoints */
        cr_assert_geq(with_checkpoints, 1);
}
