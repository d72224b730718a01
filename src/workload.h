/*
 * workload.h - what runs against the heap: allocation scripts (ops:PATH), the built-in demos
 * (demo:NAME) and synthetic loads (churn).  A workload is prepared first (parsed and checked,
 * so that a bad script is reported before anything runs) and then run in an environment that
 * gives it the heap, the object runtime and the sink for its own events (steps, prints).
 *
 * Step markers: workload_step() emits a `step` event and then calls the environment's pacer,
 * which in live step mode blocks until the user steps (the classroom way).
 */
#ifndef SRC_WORKLOAD_H
#define SRC_WORKLOAD_H

#include <allocator/event.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct heap;
struct runtime;

struct workload_env {
    struct heap *heap;       /* the allocator the workload runs on */
    struct runtime *rt;      /* the object runtime on that heap, or NULL for allocator scripts */
    struct event_sink sink;  /* the sink the heap and runtime emit to */
    uint64_t steps;          /* step markers emitted so far */
    /* Called after each step marker; may block.  NULL: run straight through. */
    void (*pace)(void *ctx, uint64_t step);
    void *pace_ctx;
    /* The Python line the workload's allocations come from now (workload_line): the recorder
     * gives them a stack of that one frame.  NULL: lines are not recorded. */
    void (*line)(void *ctx, const char *file, uint32_t line);
    void *line_ctx;
    const char *source_path; /* the file workload_source() named, for workload_line() */
};

/* Emits a step marker with a one-sentence label and lets the pacer run. */
void workload_step(struct workload_env *env, const char *label);
/*
 * The Python source the workload mirrors ("demo/fragmentation.py"), recorded once in the trace
 * (source_file, source_text); then workload_line() says which of its lines the next allocations
 * come from, so that `pinned` and the Arenas pane name the demo's own lines as they name a real
 * program's.
 */
void workload_source(struct workload_env *env, const char *path, const char *text);
void workload_line(struct workload_env *env, uint32_t line);

/* Emits a `print` event: what the Python snippet being mirrored would print. */
void workload_print(struct workload_env *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct workload;

/*
 * Resolves and prepares "ops:PATH", "demo:NAME" (or a bare demo name) and "churn[:N]".
 * On error returns NULL with a one-line message in err (naming the file and line for scripts).
 */
struct workload *workload_prepare(const char *spec, char *err, size_t errlen);
void workload_free(struct workload *w);
const char *workload_name(const struct workload *w);
/* True when the workload needs the object runtime (demos); false for allocator scripts. */
bool workload_needs_runtime(const struct workload *w);
/* Runs it.  Returns 0, or -1 with a message in err. */
int workload_run(struct workload *w, struct workload_env *env, char *err, size_t errlen);
/* The parsed script of an ops:PATH workload (src/ops.h), or NULL. */
struct ops_script;
const struct ops_script *workload_script(const struct workload *w);

/* ---- the built-in demos (src/demos.c) -------------------------------------------------------- */

struct demo {
    const char *name;    /* "cycles" */
    const char *summary; /* one line for menus and `demo --list` */
    void (*run)(struct workload_env *env);
};
size_t demo_count(void);
const struct demo *demo_at(size_t i);
const struct demo *demo_find(const char *name);

/* The synthetic load of "churn[:N]" (src/demos.c): N rounds of allocation and release. */
#define WORKLOAD_CHURN_DEFAULT 100000
void workload_churn(struct workload_env *env, uint64_t n);

#endif
