/*
 * demos.h - what the built-in demos share (src/demos.c, src/demo_*.c): each demo's entry point
 * and small helpers that do what a line of the mirrored Python snippet does and print what it
 * would print.
 */
#ifndef SRC_DEMOS_H
#define SRC_DEMOS_H

#include "workload.h"

#include <allocator/gc.h>
#include <allocator/heap.h>
#include <allocator/runtime.h>

#define DEMO_LIST(X)                                                                             \
    X(tour, "tour", "a short walk through the main ideas (the default)")                         \
    X(layers, "layers", "small requests go to pools, large ones to the C library")               \
    X(size_classes, "size-classes", "requests are rounded up to 16-byte size classes")           \
    X(domains, "domains", "the RAW, MEM and OBJ domains, and who serves each")                  \
    X(pool_lifecycle, "pool-lifecycle", "a pool goes untouched, used, full, used again, empty")  \
    X(arena_lifecycle, "arena-lifecycle", "arenas are obtained, returned, and the last kept")    \
    X(fragmentation, "fragmentation", "a few survivors pin every arena")                         \
    X(refcount, "refcount", "names, arguments, containers, del and scope exit")                  \
    X(rebinding, "rebinding", "x = [...]; x = [...]: the first list is freed at once")          \
    X(identity, "identity", "small ints and interned strings are shared; others are not")        \
    X(int_freelist, "int-freelist", "where a dead int goes: 2.7's int free list, or its pool")   \
    X(cycles, "cycles", "reference cycles that only the collector can free")                     \
    X(tracking, "tracking", "the collector tracks only containers, and lets go of some")         \
    X(generations, "generations", "promotion, thresholds and the long-lived rule")               \
    X(weakref, "weakref", "weak references, proxies and callbacks")                              \
    X(finalizers, "finalizers", "__del__ in a cycle: PEP 442 and the legacy gc.garbage")         \
    X(leak_hunt, "leak-hunt", "DEBUG_SAVEALL, gc.garbage, get_referrers, get_referents")         \
    X(copy, "copy", "copy.copy versus copy.deepcopy of [10, 10, [10, 11]]")                      \
    X(gc_tuning, "gc-tuning", "thresholds versus collections, disable, freeze")

/*
 * The Python source a demo mirrors (demos/demo_NAME.py, embedded at build time): every demo has
 * one, that runs unchanged in python3, and each of its steps names the line it runs
 * (workload_step_at); workload_run() records it in the trace before the demo's first step.
 */
struct demo_source {
    const char *demo; /* "gc-tuning" */
    const char *path; /* "demos/demo_gc_tuning.py" */
    const char *text;
};
extern const struct demo_source demo_sources[];
extern const size_t demo_source_count;
/* The source of the demo named name, or NULL. */
const struct demo_source *demo_source_find(const char *name);

#define X(id, name, summary) void demo_run_##id(struct workload_env *env);
DEMO_LIST(X)
#undef X

/* The churn workload (src/demo_churn.c); workload.h declares it too. */
void workload_churn(struct workload_env *env, uint64_t n);

/* A step tied to the source line `code` whose narration is formatted (the profile's numbers). */
void demo_step_f(struct workload_env *env, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* name = <obj>, stealing the new reference obj (NULL: prints MemoryError). */
void demo_set(struct workload_env *env, const char *name, struct rt_object *obj);
/* name = int(value) */
void demo_set_int(struct workload_env *env, const char *name, int64_t value);
/* [a, b] for two names: a new list of the objects they refer to (NULL when one is not bound). */
struct rt_object *demo_list_of(struct workload_env *env, const char *a, const char *b);
/* name = other: binds name to the object other refers to (NameError when other is not bound). */
void demo_alias(struct workload_env *env, const char *name, const char *other);
/* The object `name` refers to (borrowed). */
struct rt_object *demo_get(struct workload_env *env, const char *name);
/* del name */
void demo_del(struct workload_env *env, const char *name);
/* print(sys.getrefcount(name)); returns the count. */
long demo_print_refcount(struct workload_env *env, const char *name);
/* print(gc.collect(generation)); returns it. */
long demo_collect(struct workload_env *env, int generation);
/* print(gc.collect()), a collection of every generation; returns it. */
long demo_gc_collect(struct workload_env *env);
/* print(gc.get_count()) */
void demo_counts(struct workload_env *env);
/* print(what, "->", v), as Python prints a bool */
void demo_print_bool(struct workload_env *env, const char *what, bool v);
/* print(name, "->", repr(name)), nothing when the name is not bound */
void demo_print_repr(struct workload_env *env, const char *name);
/* print(a is b) for two names */
bool demo_is(struct workload_env *env, const char *a, const char *b);
/* A class with nothing but a managed __dict__. */
const struct rt_type *demo_class(struct workload_env *env, const char *name);
/* id(name), or 0 when the name is not bound. */
uint64_t demo_id(struct workload_env *env, const char *name);
/* name = int(value); print(same, id(name) == old_id): whether the new int has the memory of the
 * one whose id was old_id, freed since. */
void demo_int_reuse(struct workload_env *env, const char *name, int64_t value, const char *same, uint64_t old_id);
/* print the heap's arena and pool figures in one line */
void demo_heap_line(struct workload_env *env);
/* list(range(start, start + n)): the list, its item array made for exactly n items, then the ints */
struct rt_object *demo_int_list(struct workload_env *env, int64_t start, size_t n);

#endif
