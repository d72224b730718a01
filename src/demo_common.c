/*
 * demo_common.c - the helpers every demo uses to mirror a line of Python.
 */
#include "demos.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

void demo_set(struct workload_env *env, const char *name, struct rt_object *obj)
{
    if (!obj) {
        workload_print(env, "MemoryError\n");
        return;
    }
    rt_bind_new(env->rt, name, obj);
}

void demo_set_int(struct workload_env *env, const char *name, int64_t value)
{
    demo_set(env, name, rt_int(env->rt, value));
}

struct rt_object *demo_list_of(struct workload_env *env, const char *a, const char *b)
{
    struct rt_object *items[] = {rt_lookup(env->rt, a), rt_lookup(env->rt, b)};
    return items[0] && items[1] ? rt_list(env->rt, 2, items) : NULL;
}

void demo_alias(struct workload_env *env, const char *name, const char *other)
{
    struct rt_object *o = rt_lookup(env->rt, other);
    if (!o) {
        workload_print(env, "NameError: name '%s' is not defined\n", other);
        return;
    }
    rt_bind(env->rt, name, o);
}

struct rt_object *demo_get(struct workload_env *env, const char *name)
{
    return rt_lookup(env->rt, name);
}

void demo_del(struct workload_env *env, const char *name)
{
    if (rt_unbind(env->rt, name) < 0)
        workload_print(env, "NameError: name '%s' is not defined\n", name);
}

long demo_print_refcount(struct workload_env *env, const char *name)
{
    struct rt_object *o = rt_lookup(env->rt, name);
    if (!o) {
        workload_print(env, "NameError: name '%s' is not defined\n", name);
        return 0;
    }
    long n = (long)rt_getrefcount(env->rt, o);
    workload_print(env, "sys.getrefcount(%s) -> %ld\n", name, n);
    return n;
}

long demo_collect(struct workload_env *env, int generation)
{
    long n = (long)gc_collect(env->rt, generation);
    if (generation == gc_full_generation(env->rt))
        workload_print(env, "gc.collect() -> %ld\n", n);
    else
        workload_print(env, "gc.collect(%d) -> %ld\n", generation, n);
    return n;
}

long demo_gc_collect(struct workload_env *env)
{
    return demo_collect(env, gc_full_generation(env->rt));
}

void demo_counts(struct workload_env *env)
{
    uint32_t c[GC_MAX_GENERATIONS];
    size_t n = gc_module_generations(env->rt);
    gc_get_count(env->rt, c);
    char buf[96] = "";
    size_t pos = 0;
    for (size_t i = 0; i < n && pos < sizeof buf; i++)
        pos += (size_t)snprintf(buf + pos, sizeof buf - pos, "%s%u", i ? ", " : "", c[i]);
    workload_print(env, "gc.get_count() -> (%s)\n", buf);
}

void demo_print_bool(struct workload_env *env, const char *what, bool v)
{
    workload_print(env, "%s -> %s\n", what, v ? "True" : "False");
}

void demo_print_repr(struct workload_env *env, const char *name)
{
    struct rt_object *o = rt_lookup(env->rt, name);
    char buf[128];
    if (o)
        workload_print(env, "%s -> %s\n", name, rt_repr(o, buf, sizeof buf));
}

bool demo_is(struct workload_env *env, const char *a, const char *b)
{
    bool same = rt_is(rt_lookup(env->rt, a), rt_lookup(env->rt, b));
    char what[96];
    snprintf(what, sizeof what, "%s is %s", a, b);
    demo_print_bool(env, what, same);
    return same;
}

const struct rt_type *demo_class(struct workload_env *env, const char *name)
{
    struct rt_class_spec spec = {.name = name};
    return rt_class_new(env->rt, &spec);
}

void demo_heap_line(struct workload_env *env)
{
    static struct heap_stats st; /* large: not on the stack; demos run on one thread */
    heap_get_stats(env->heap, &st);
    uint64_t pools = 0, blocks = 0;
    for (uint32_t i = 0; i < st.nclasses; i++) {
        pools += st.classes[i].pools;
        blocks += st.classes[i].in_use;
    }
    workload_print(env,
                   "arenas: %" PRIu64 ", pools in use: %" PRIu64 ", blocks in use: %" PRIu64
                   ", bytes in blocks: %" PRIu64 "\n",
                   st.arenas_current, pools, blocks, st.bytes_allocated);
}

struct rt_object *demo_int_list(struct workload_env *env, int64_t start, size_t n)
{
    struct rt_object *l = rt_list(env->rt, 0, NULL);
    if (l && rt_list_reserve(env->rt, l, n) < 0)
        return l;
    for (size_t i = 0; l && i < n; i++) {
        struct rt_object *v = rt_int(env->rt, start + (int64_t)i);
        if (!v)
            break;
        rt_list_extend_item(env->rt, l, v);
        rt_decref(env->rt, v, EV_REF_TEMP, NULL);
    }
    return l;
}

uint64_t demo_id(struct workload_env *env, const char *name)
{
    struct rt_object *o = rt_lookup(env->rt, name);
    return o ? rt_id(o) : 0;
}

void demo_int_reuse(struct workload_env *env, const char *name, int64_t value, const char *same, uint64_t old_id)
{
    demo_set_int(env, name, value);
    if (demo_get(env, name))
        demo_print_bool(env, same, demo_id(env, name) == old_id);
}

void demo_step_f(struct workload_env *env, const char *code, const char *fmt, ...)
{
    char label[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(label, sizeof label, fmt, ap);
    va_end(ap);
    workload_step_at(env, code, label);
}
