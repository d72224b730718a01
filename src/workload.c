/*
 * workload.c - resolving a workload spec and running it: allocation scripts (ops:PATH, see
 * ops.h), the built-in demos (demo:NAME or a bare demo name, src/demos.c) and churn[:N].
 *
 * Everything that can be wrong with a spec is found by workload_prepare(), before a trace file
 * is created or a child process started: an unknown demo, a bad churn count, a script that does
 * not parse or does not add up (its errors name the file and the line).
 */
#include "workload.h"

#include "cli.h"
#include "demos.h"
#include "ops.h"

#include <allocator/heap.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum workload_kind { WORKLOAD_OPS, WORKLOAD_DEMO, WORKLOAD_CHURN };

struct workload {
    enum workload_kind kind;
    char name[300];          /* the spec as given */
    struct ops_script script; /* WORKLOAD_OPS */
    const struct demo *demo; /* WORKLOAD_DEMO */
    uint64_t churn;          /* WORKLOAD_CHURN: rounds */
};

/* An event of `kind` whose first field is f0 (its other fields 0) and whose text is
 * text[0 .. len): what a workload tells the sink itself (source, step, print). */
static void emit_text(struct workload_env *env, enum event_kind kind, uint64_t f0, const char *text, size_t len)
{
    struct event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.u.f[0] = f0;
    ev.str = text;
    ev.str_len = (uint32_t)len;
    env->sink.emit(env->sink.ctx, &ev);
}

void workload_source(struct workload_env *env, const char *path, const char *text)
{
    env->source_path = path;
    env->source_text = text;
    env->source_line = 0;
    if (!env->sink.emit)
        return;
    emit_text(env, EV_SOURCE_FILE, 1, path, strlen(path));  /* source_file.id */
    emit_text(env, EV_SOURCE_TEXT, 1, text, strlen(text)); /* source_text.file */
}

uint32_t workload_find_line(const char *text, uint32_t after, const char *code)
{
    size_t want = strlen(code);
    uint32_t line = 1;
    for (const char *p = text; *p; line++) {
        const char *end = strchr(p, '\n');
        if (!end)
            end = p + strlen(p);
        const char *a = p, *b = end;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r'))
            b--;
        if (line > after && (size_t)(b - a) == want && memcmp(a, code, want) == 0)
            return line;
        p = *end ? end + 1 : end;
    }
    return 0;
}

/* The line after the current one that reads `code`, made current; its stack (0: none). */
static uint64_t source_advance(struct workload_env *env, const char *code)
{
    uint32_t line = env->source_text ? workload_find_line(env->source_text, env->source_line, code) : 0;
    if (!line) {
        env->lost_lines++;
        return 0;
    }
    env->source_line = line;
    return env->line ? env->line(env->line_ctx, env->source_path, line) : 0;
}

void workload_line(struct workload_env *env, const char *code)
{
    source_advance(env, code);
}

static void step(struct workload_env *env, const char *label, uint64_t stack)
{
    env->steps++;
    if (env->sink.emit) {
        struct event ev;
        memset(&ev, 0, sizeof ev);
        ev.kind = EV_STEP;
        ev.u.step.number = env->steps;
        ev.u.step.kind = EV_STEP_WORKLOAD;
        ev.u.step.stack = stack; /* the line, as a program's line step carries it */
        ev.str = label;
        ev.str_len = (uint32_t)strlen(label);
        env->sink.emit(env->sink.ctx, &ev);
    }
    if (env->pace)
        env->pace(env->pace_ctx, env->steps);
}

void workload_step(struct workload_env *env, const char *label)
{
    step(env, label, 0);
}

void workload_step_at(struct workload_env *env, const char *code, const char *label)
{
    step(env, label, source_advance(env, code));
}

void workload_print(struct workload_env *env, const char *fmt, ...)
{
    if (!env->sink.emit)
        return;
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (n >= 0) /* print.stream 1: standard output */
        emit_text(env, EV_PRINT, 1, text, (size_t)n < sizeof text ? (size_t)n : sizeof text - 1);
}

static char *known_demos(char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < demo_count() && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", demo_at(i)->name);
    return buf;
}

struct workload *workload_prepare(const char *spec, char *err, size_t errlen)
{
    struct workload *w = calloc(1, sizeof *w);
    if (!w) {
        cli_fail(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(w->name, sizeof w->name, "%s", spec);
    if (strncmp(spec, "ops:", 4) == 0) {
        w->kind = WORKLOAD_OPS;
        if (!spec[4]) {
            cli_fail(err, errlen, "ops: needs a file: ops:PATH");
            goto out_free;
        }
        if (ops_script_load(&w->script, spec + 4, err, errlen) < 0)
            goto out_free;
        return w;
    }
    if (strncmp(spec, "churn", 5) == 0 && (spec[5] == '\0' || spec[5] == ':')) {
        w->kind = WORKLOAD_CHURN;
        w->churn = WORKLOAD_CHURN_DEFAULT;
        if (spec[5] == ':') {
            char *end;
            const char *n = spec + 6;
            unsigned long long v = (*n >= '0' && *n <= '9') ? strtoull(n, &end, 10) : 0;
            if (!(*n >= '0' && *n <= '9') || *end || v == 0) {
                cli_fail(err, errlen, "churn:N needs a positive number of rounds, not '%s'", n);
                goto out_free;
            }
            w->churn = v;
        }
        return w;
    }
    const char *name = strncmp(spec, "demo:", 5) == 0 ? spec + 5 : spec;
    w->kind = WORKLOAD_DEMO;
    w->demo = demo_find(name);
    if (!w->demo) {
        char names[512];
        known_demos(names, sizeof names);
        if (names[0])
            cli_fail(err, errlen, "unknown workload '%s' (demos: %s; or ops:PATH, churn[:N])", spec, names);
        else
            cli_fail(err, errlen, "unknown workload '%s' (expected ops:PATH or churn[:N])", spec);
        goto out_free;
    }
    return w;

out_free:
    free(w);
    return NULL;
}

void workload_free(struct workload *w)
{
    if (!w)
        return;
    if (w->kind == WORKLOAD_OPS)
        ops_script_release(&w->script);
    free(w);
}

const char *workload_name(const struct workload *w)
{
    return w->name;
}

bool workload_needs_runtime(const struct workload *w)
{
    return w->kind != WORKLOAD_OPS;
}

static void t_step(void *ctx, const char *label)
{
    workload_step(ctx, label);
}

int workload_run(struct workload *w, struct workload_env *env, char *err, size_t errlen)
{
    switch (w->kind) {
    case WORKLOAD_OPS: {
        /* An allocation script runs straight on the heap. */
        struct ops_target t = {.heap = env->heap, .step = t_step, .ctx = env};
        /* Blocks still live at the end stay live: the trace shows the heap as the script left it. */
        return ops_script_run(&w->script, &t, false, err, errlen);
    }
    case WORKLOAD_DEMO: {
        /* a demo with a Python source runs it: the source goes into the trace first */
        const struct demo_source *src = demo_source_find(w->demo->name);
        if (src)
            workload_source(env, src->path, src->text);
        w->demo->run(env);
        return 0;
    }
    case WORKLOAD_CHURN:
        workload_churn(env, w->churn);
        return 0;
    }
    return 0;
}

const struct ops_script *workload_script(const struct workload *w)
{
    return w->kind == WORKLOAD_OPS ? &w->script : NULL;
}
