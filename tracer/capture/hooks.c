/*
 * hooks.c - the capture inside the running interpreter: what it asks of Python once Python is up.
 *
 * The allocator sees the interpreter from its first allocation, but it may call into Python only
 * once Python is initialized, from a safe point of the main thread: a pending call
 * (Py_AddPendingCall), added by preload.c's tick when Py_IsInitialized() first says so.  It
 *
 *   - checks that the heap is still the allocator of the OBJ domain (PYTHONMALLOC and -X dev
 *     are removed from the environment, but an embedding program could replace it): if not, the
 *     trace says so and ends there;
 *   - records the collector's thresholds, and appends a C function to gc.callbacks, which
 *     CPython calls at the start and the end of every collection with its generation and, at
 *     the end, what it collected: gc_start and gc_end events, with each generation's count;
 *   - registers a C function with atexit, which CPython runs once the program's code and its
 *     own atexit functions are done, before the interpreter tears itself down: a step marker
 *     says where the program ended and the shutdown begins.
 *
 * Whether a collection was automatic or gc.collect() is not said by CPython; it is inferred:
 * automatic collections start when generation 0's count exceeds its threshold (3.8-3.11 at once,
 * 3.12+ at the next safe point), gc.collect() does not wait for it.  A collection that starts
 * with generation 0 over its threshold is reported as automatic.
 *
 * Every call into Python here allocates (the function object, the list's growth, the tuples of
 * gc.get_count()): capture.in_tool is raised around them, so their blocks carry the stack
 * "<arenascope>".  The program's pending exception, if any, is kept aside and restored.
 */
#include "state.h"

#include <string.h>
#include <time.h>

/* CPython's PyMethodDef, and METH_VARARGS. */
struct py_method_def {
    const char *name;
    void *(*meth)(void *self, void *args);
    int flags;
    const char *doc;
};
#define PY_METH_VARARGS 1

static struct {
    void *get_count;     /* gc.get_count */
    void *get_threshold; /* gc.get_threshold */
    uint32_t gen;        /* the collection in progress */
    uint64_t start_ns;
    uint64_t threshold0;
} gcs;

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void emit(const struct event *ev)
{
    if (capture.sink.emit)
        capture.sink.emit(capture.sink.ctx, ev);
}

/* Calls fn() (a gc function returning a tuple of ints) into vals; returns how many were read. */
static size_t call_ints(void *fn, uint64_t *vals, size_t max)
{
    const struct py_api *a = &capture.py.api;
    if (!fn)
        return 0;
    void *t = a->call_object(fn, NULL);
    if (!t)
        return 0;
    intptr_t n = a->tuple_size(t);
    size_t k = 0;
    for (intptr_t i = 0; i < n && k < max; i++) {
        long v = a->long_as_long(a->tuple_get_item(t, i));
        vals[k++] = v < 0 ? 0 : (uint64_t)v;
    }
    a->decref(t);
    return k;
}

/* Emits one event of `kind` (gc_count or gc_threshold: a generation and a number) per value. */
static void emit_per_generation(enum event_kind kind, const uint64_t *vals, size_t n)
{
    for (size_t g = 0; g < n; g++) {
        struct event ev = {.kind = kind};
        ev.u.f[0] = g;
        ev.u.f[1] = vals[g];
        emit(&ev);
    }
}

static void emit_counts(void)
{
    uint64_t counts[GC_MAX_GENERATIONS];
    emit_per_generation(EV_GC_COUNT, counts, call_ints(gcs.get_count, counts, gc_profile_module_generations(&capture.gc)));
}

static void emit_thresholds(void)
{
    uint64_t th[GC_MAX_GENERATIONS];
    size_t n = call_ints(gcs.get_threshold, th, capture.gc.ngenerations);
    emit_per_generation(EV_GC_THRESHOLD, th, n);
    if (n)
        gcs.threshold0 = th[0];
}

/* The value of an int item of the callback's info dict, found without making a key. */
static long info_item(void *info, const char *name)
{
    const struct py_api *a = &capture.py.api;
    intptr_t pos = 0;
    void *key, *value;
    while (a->dict_next(info, &pos, &key, &value))
        if (a->unicode_eq_ascii(key, name) == 0)
            return a->long_as_long(value);
    return -1;
}

/* gc.callbacks' member: on_gc(phase, info). */
static void *on_gc(void *self, void *args)
{
    (void)self;
    const struct py_api *a = &capture.py.api;
    capture.in_tool++;
    void *et, *ev_, *tb;
    a->err_fetch(&et, &ev_, &tb);
    if (args && a->tuple_size(args) == 2 && capture.sink.emit) {
        void *phase = a->tuple_get_item(args, 0);
        void *info = a->tuple_get_item(args, 1);
        long gen = info_item(info, "generation");
        if (gen >= 0 && (uint32_t)gen < gc_profile_module_generations(&capture.gc)) {
            if (a->unicode_eq_ascii(phase, "start") == 0) {
                uint64_t counts[GC_MAX_GENERATIONS] = {0};
                size_t nc = call_ints(gcs.get_count, counts, gc_profile_module_generations(&capture.gc));
                emit_thresholds();
                emit_per_generation(EV_GC_COUNT, counts, nc);
                struct event ev = {.kind = EV_GC_START};
                ev.u.gc_start.gen = (uint64_t)gen;
                ev.u.gc_start.reason = counts[0] > gcs.threshold0 ? EV_GC_REASON_AUTO : EV_GC_REASON_MANUAL;
                emit(&ev);
                gcs.gen = (uint32_t)gen;
                gcs.start_ns = mono_ns();
            } else if (a->unicode_eq_ascii(phase, "stop") == 0) {
                long collected = info_item(info, "collected");
                long uncollectable = info_item(info, "uncollectable");
                emit_counts();
                struct event ev = {.kind = EV_GC_END};
                ev.u.gc_end.gen = (uint64_t)gen;
                ev.u.gc_end.collected = collected < 0 ? 0 : (uint64_t)collected;
                ev.u.gc_end.uncollectable = uncollectable < 0 ? 0 : (uint64_t)uncollectable;
                ev.u.gc_end.nanos = mono_ns() - gcs.start_ns;
                emit(&ev);
            }
        }
    }
    a->err_restore(et, ev_, tb);
    capture.in_tool--;
    a->incref(a->none);
    return a->none;
}

/* atexit's member: the program's code (and its own atexit functions, registered after this one
 * and so run before it) has ended; what follows is the interpreter's shutdown. */
static void *on_exit_(void *self, void *args)
{
    (void)self;
    (void)args;
    const struct py_api *a = &capture.py.api;
    const char *base = strrchr(capture.cfg.script, '/');
    char label[PATH_MAX + 128];
    snprintf(label, sizeof label, "%s has finished: Python shuts down and frees what it still holds.",
             capture.cfg.script[0] ? (base ? base + 1 : capture.cfg.script) : "The program");
    capture_step(EV_STEP_END, 0, label);
    a->incref(a->none);
    return a->none;
}

static struct py_method_def on_exit_def = {"arenascope_exit", on_exit_, PY_METH_VARARGS,
                                           "arenascope: marks the end of the program's code in the trace"};

static void watch_exit(void)
{
    const struct py_api *a = &capture.py.api;
    void *atexit = a->import_module("atexit");
    void *fn = atexit ? a->cfunction_new(&on_exit_def, NULL, NULL) : NULL;
    if (fn)
        py_xdecref(a, a->call_method(atexit, "register", "O", fn));
    py_xdecref(a, fn);
    py_xdecref(a, atexit);
}

static struct py_method_def on_gc_def = {"arenascope_collection", on_gc, PY_METH_VARARGS,
                                         "arenascope: records each collection into the trace"};

static void watch_collector(void)
{
    const struct py_api *a = &capture.py.api;
    void *gc = a->import_module("gc");
    if (!gc)
        return;
    gcs.get_count = a->get_attr_string(gc, "get_count");
    gcs.get_threshold = a->get_attr_string(gc, "get_threshold");
    void *callbacks = a->get_attr_string(gc, "callbacks");
    void *fn = a->cfunction_new(&on_gc_def, NULL, NULL);
    if (callbacks && fn)
        a->list_append(callbacks, fn);
    py_xdecref(a, fn);
    py_xdecref(a, callbacks);
    a->decref(gc);
    emit_thresholds();
    emit_counts();
}

int hooks_python_ready(void *arg)
{
    (void)arg;
    const struct py_api *a = &capture.py.api;
    if (!capture.active || capture.forked || capture.finished || !capture.sink.emit)
        return 0;
    if (!capture_allocator_is_installed()) {
        capture_end("[arenascope: the interpreter replaced arenascope's allocator (PYTHONMALLOC, -X dev or an "
                    "embedding program): nothing more is recorded]");
        return 0;
    }
    capture.in_tool++;
    void *et, *ev, *tb;
    a->err_fetch(&et, &ev, &tb);
    watch_collector();
    watch_exit();
    names_start();
    lines_start();
    a->err_restore(et, ev, tb);
    capture.in_tool--;
    return 0;
}
