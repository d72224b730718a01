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
    /* The Python line the workload runs now (workload_step_at, workload_line): the recorder
     * returns the id of a stack of that one frame, "<module>\tFILE\tLINE", which the step marker
     * carries, and gives the allocations that follow that stack (unless C stacks were asked
     * for).  NULL: lines are not recorded. */
    uint64_t (*line)(void *ctx, const char *file, uint32_t line);
    void *line_ctx;
    const char *source_path; /* the file workload_source() named */
    const char *source_text; /* and its text, where workload_step_at() finds its lines */
    uint32_t source_line;    /* the line of the last step tied to the source; 0 none yet */
    uint32_t lost_lines;     /* steps whose line was not found in the source (a demo's bug) */
};

/* Emits a step marker with a one-sentence label and lets the pacer run. */
void workload_step(struct workload_env *env, const char *label);
/*
 * The Python source the workload mirrors ("demos/demo_refcount.py"), recorded once in the trace
 * (source_file, source_text) before the first step, as a real program's own files are; then each
 * step names the line it runs, so that the Code pane shows the demo's source with the step's
 * line marked and `pinned` and the Arenas pane name the demo's own lines, as for a program.
 */
void workload_source(struct workload_env *env, const char *path, const char *text);
/*
 * A step marker tied to a line of the source: `code` is the exact text of that line without its
 * indentation, and the line is the first after the previous step's that reads so.  The source
 * stays the one truth: a step names its line by what it says, never by its number.  A line not
 * found (or no source) leaves the marker without a line and counts in lost_lines.
 */
void workload_step_at(struct workload_env *env, const char *code, const char *label);
/* The next allocations come from the first line after the current one that reads `code`
 * (a line a step runs after its own: the step's marker stays where it is). */
void workload_line(struct workload_env *env, const char *code);
/* The first line after line `after` of text whose text, without indentation and trailing
 * blanks, is `code`; 0 when none. */
uint32_t workload_find_line(const char *text, uint32_t after, const char *code);

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
