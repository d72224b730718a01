/*
 * demo_gc_module.c - the demos that look at the collector through the gc module's own eyes:
 * tracking (which objects the collector follows, docs/cpython-memory.md 7.2) and leak-hunt (the
 * do-it-yourself leak hunt with DEBUG_SAVEALL, gc.garbage, gc.get_referrers and
 * gc.get_referents, 7.14).  The values printed are CPython 3.11's and 3.12's
 * (tests/runtime/test_demo_sources.c compares them).
 */
#include "demos.h"

#include <stdio.h>

/* print("gc.is_tracked(name) ->", gc.is_tracked(name)) */
static void print_tracked(struct workload_env *env, const char *name)
{
    struct rt_object *o = demo_get(env, name);
    char what[64];
    snprintf(what, sizeof what, "gc.is_tracked(%s)", name);
    if (o)
        demo_print_bool(env, what, gc_is_tracked(o));
}

/* d[key] = value, for a literal key. */
static void dict_store(struct runtime *rt, struct rt_object *d, const char *key, struct rt_object *value)
{
    struct rt_object *k = rt_str_literal(rt, key);
    if (k && value)
        rt_dict_set(rt, d, k, value);
    rt_xdecref(rt, k, EV_REF_TEMP, NULL);
}

/* ---- tracking ---------------------------------------------------------------------------------- */

void demo_run_tracking(struct workload_env *env)
{
    struct runtime *rt = env->rt;

    workload_step_at(env, "i = int(\"1000\")",
                     "An int and a str refer to no other object, so they can never be part of a cycle: "
                     "the collector does not track them, and gc.is_tracked says False.");
    demo_set_int(env, "i", 1000);
    struct rt_object *py = rt_str(rt, "py"), *thon = rt_str(rt, "thon");
    if (py && thon)
        demo_set(env, "s", rt_str_concat(rt, py, thon));
    rt_xdecref(rt, py, EV_REF_TEMP, NULL);
    rt_xdecref(rt, thon, EV_REF_TEMP, NULL);
    print_tracked(env, "i");
    print_tracked(env, "s");

    workload_step_at(env, "l = []",
                     "A list is a container that may come to hold others, so it is tracked from birth, "
                     "even empty: it joins the youngest generation.");
    demo_set(env, "l", rt_list(rt, 0, NULL));
    print_tracked(env, "l");

    workload_step_at(env, "t = (i, s)",
                     "A tuple built at run time is tracked when it is made, though it holds only an int "
                     "and a str.");
    struct rt_object *i = demo_get(env, "i"), *s = demo_get(env, "s");
    if (!i || !s)
        return;
    struct rt_object *items[] = {i, s};
    demo_set(env, "t", rt_tuple(rt, 2, items));
    print_tracked(env, "t");

    workload_step_at(env, "print(\"gc.collect() ->\", gc.collect())",
                     "A collection sees that t holds nothing the collector follows and untracks it for "
                     "good: a tuple cannot change.");
    demo_gc_collect(env);
    print_tracked(env, "t");

    workload_step_at(env, "d = {\"x\": 1}",
                     "A dict of atoms starts untracked: from 2.7 to 3.13 a dict is tracked only once it "
                     "holds something that may be tracked.");
    struct rt_object *d = rt_dict(rt);
    if (!d)
        return;
    struct rt_object *one = rt_int(rt, 1);
    dict_store(rt, d, "x", one);
    rt_xdecref(rt, one, EV_REF_TEMP, NULL);
    demo_set(env, "d", d);
    print_tracked(env, "d");

    workload_step_at(env, "d[\"y\"] = l",
                     "d['y'] = l stores a list in it, so the dict is tracked from now on.");
    dict_store(rt, d, "y", demo_get(env, "l"));
    print_tracked(env, "d");

    workload_step_at(env, "del d[\"y\"]",
                     "del d['y'] leaves the dict tracked: the check is not made again on every change.");
    struct rt_object *y = rt_str_literal(rt, "y");
    if (y)
        rt_dict_del(rt, d, y);
    rt_xdecref(rt, y, EV_REF_TEMP, NULL);
    print_tracked(env, "d");

    workload_step_at(env, "print(\"gc.collect() ->\", gc.collect())",
                     "A collection of the oldest generation untracks the dict again, as it holds only "
                     "atoms; younger collections never untrack dicts.");
    demo_gc_collect(env);
    print_tracked(env, "d");

    workload_step_at(env, "del i, s, l, t, d",
                     "Deleting the names frees the five objects by reference counting, tracked or not.");
    const char *names[] = {"i", "s", "l", "t", "d"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        demo_del(env, names[k]);
}

/* ---- leak-hunt ------------------------------------------------------------------------------------ */

/* True when list holds o (`o in list`, by identity: the lists compared here are distinct). */
static bool list_holds(const struct rt_object *list, const struct rt_object *o)
{
    for (size_t i = 0; list && i < rt_len(list); i++)
        if (rt_item(list, i) == o)
            return true;
    return false;
}

/* a = []; b = [] (or b = [a], a cycle); a.append(b).  False when a list could not be made. */
static bool link_lists(struct workload_env *env, bool cycle)
{
    struct runtime *rt = env->rt;
    demo_set(env, "a", rt_list(rt, 0, NULL));
    struct rt_object *a = demo_get(env, "a");
    if (cycle && !a)
        return false;
    struct rt_object *held[] = {a};
    demo_set(env, "b", rt_list(rt, cycle ? 1 : 0, held));
    struct rt_object *b = demo_get(env, "b");
    if (!a || !b)
        return false;
    rt_list_append(rt, a, b);
    return true;
}

void demo_run_leak_hunt(struct workload_env *env)
{
    struct runtime *rt = env->rt;

    workload_step_at(env, "a = []",
                     "a = []; b = []; a.append(b), the course's example: a has one name and b two "
                     "references, its name and a's item, so getrefcount says 2 and 3.");
    if (!link_lists(env, false))
        return;
    demo_print_refcount(env, "a");
    demo_print_refcount(env, "b");

    workload_step_at(env, "print(\"len(gc.get_referents(a)) ->\", len(gc.get_referents(a)))",
                     "gc.get_referents(a) lists what a refers to, b alone; gc.get_referrers(b) walks "
                     "every tracked object to find those that refer to b, and finds a.");
    struct rt_object *a = demo_get(env, "a"), *b = demo_get(env, "b");
    struct rt_object *referents = gc_get_referents(rt, a);
    if (referents)
        workload_print(env, "len(gc.get_referents(a)) -> %zu\n", rt_len(referents));
    rt_xdecref(rt, referents, EV_REF_TEMP, NULL);
    struct rt_object *referrers = gc_get_referrers(rt, b);
    demo_print_bool(env, "a in gc.get_referrers(b)", list_holds(referrers, a));
    rt_xdecref(rt, referrers, EV_REF_TEMP, NULL);

    workload_step_at(env, "del a, b",
                     "del a, b frees both lists by reference counting alone: there is no cycle, so "
                     "gc.collect() finds 0, as the course's comment says.");
    demo_del(env, "a");
    demo_del(env, "b");
    demo_gc_collect(env);

    workload_step_at(env, "gc.set_debug(gc.DEBUG_SAVEALL)",
                     "gc.set_debug(gc.DEBUG_SAVEALL) makes the collector keep what it finds "
                     "unreachable in gc.garbage instead of freeing it, for us to inspect.");
    gc_set_debug(rt, GC_DEBUG_SAVEALL);

    workload_step_at(env, "a = []",
                     "a = []; b = [a]; a.append(b) builds a cycle: after del a, b each list is still "
                     "held by the other, so neither count reaches 0.");
    if (!link_lists(env, true))
        return;
    demo_del(env, "a");
    demo_del(env, "b");

    workload_step_at(env, "print(\"gc.collect() ->\", gc.collect())",
                     "The collection finds the 2 lists unreachable and, under DEBUG_SAVEALL, moves them "
                     "to gc.garbage rather than freeing them: the leak is caught.");
    demo_gc_collect(env);
    struct rt_object *garbage = gc_garbage(rt);
    workload_print(env, "len(gc.garbage) -> %zu\n", garbage ? rt_len(garbage) : 0);

    workload_step_at(env, "print(\"gc.garbage[0] in gc.get_referents(gc.garbage[1]) ->\", "
                          "gc.garbage[0] in gc.get_referents(gc.garbage[1]))",
                     "Asking who holds gc.garbage[0] answers: the other list of the cycle and gc.garbage "
                     "itself, 2 referrers; gc.get_referents goes the other way.");
    if (garbage && rt_len(garbage) >= 2) {
        struct rt_object *first = rt_item(garbage, 0), *second = rt_item(garbage, 1);
        referents = gc_get_referents(rt, second);
        demo_print_bool(env, "gc.garbage[0] in gc.get_referents(gc.garbage[1])", list_holds(referents, first));
        rt_xdecref(rt, referents, EV_REF_TEMP, NULL);
        referrers = gc_get_referrers(rt, first);
        if (referrers)
            workload_print(env, "len(gc.get_referrers(gc.garbage[0])) -> %zu\n", rt_len(referrers));
        rt_xdecref(rt, referrers, EV_REF_TEMP, NULL);
    }

    workload_step_at(env, "gc.set_debug(0)",
                     "gc.set_debug(0) and gc.garbage.clear() let go of the cycle: the next collection "
                     "finds it unreachable again and frees it this time.");
    gc_set_debug(rt, 0);
    if (garbage)
        rt_list_clear(rt, garbage);
    demo_gc_collect(env);
}
