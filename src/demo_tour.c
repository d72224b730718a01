/*
 * demo_tour.c - the default demo: a short walk through the main ideas (a list and its blocks,
 * names and counts, a cycle and the collector, the small-int cache, block reuse).
 *
 *     a = []; b = a; a.append(1000); a.append(a); del a, b; gc.collect()
 *     x = 5; y = int("1001"); del y; z = int("2001")     # z takes y's block
 */
#include "demos.h"

#include <inttypes.h>

void demo_run_tour(struct workload_env *env)
{
    struct runtime *rt = env->rt;

    workload_step_at(env, "a = []",
                     "a = [] creates an empty list: one 64-byte block holding its 16-byte GC "
                     "header and the 40-byte list object.");
    demo_set(env, "a", rt_list(rt, 0, NULL));
    demo_print_refcount(env, "a");

    workload_step_at(env, "b = a",
                     "b = a binds a second name to the same list, so sys.getrefcount(a) now "
                     "reports 3: two names plus its own argument.");
    demo_alias(env, "b", "a");
    demo_print_refcount(env, "a");

    workload_step_at(env, "a.append(1000)",
                     "a.append(1000) stores an int: the list's item array is a separate "
                     "block, with room for 4 items.");
    /* 1000 is a constant of the module's code object, which holds it until the program ends */
    struct rt_object *thousand = rt_int(rt, 1000);
    if (thousand)
        rt_list_append(rt, demo_get(env, "a"), thousand);
    rt_show(rt, demo_get(env, "a"));

    workload_step_at(env, "a.append(a)",
                     "a.append(a) puts the list inside itself: it now refers to itself, a "
                     "reference cycle.");
    rt_list_append(rt, demo_get(env, "a"), demo_get(env, "a"));
    demo_print_refcount(env, "a");

    workload_step_at(env, "del a",
                     "del a and del b remove both names, but the list still counts the "
                     "reference from itself, so nothing is freed.");
    demo_del(env, "a");
    demo_del(env, "b");

    workload_step_at(env, "print(\"gc.collect() ->\", gc.collect())",
                     "gc.collect() finds that only the list refers to itself, frees it and "
                     "returns 1; the int 1000 stays, a constant its code object keeps.");
    demo_gc_collect(env);

    /* 2.7's ints live in blocks of their own and die onto a free list (runtime_intblock.c) */
    bool int_blocks = rt_get_layout(rt)->int_fixed;
    workload_step_at(env, "x = 5",
                     int_blocks ? "x = 5 takes the shared 5 from the small-int cache, while y = int(\"1001\") "
                                  "takes a new int from 2.7's int free list, in a block of 1000 bytes holding 41 ints."
                                : "x = 5 takes the shared 5 from the small-int cache, while y = int(\"1001\") "
                                  "makes a new int at run time, in a 32-byte block.");
    demo_set_int(env, "x", 5);
    demo_set_int(env, "y", 1001);
    uint64_t y_id = demo_id(env, "y");

    workload_step_at(env, "del y",
                     int_blocks ? "del y puts the int at the front of 2.7's int free list: its memory "
                                  "goes back neither to pymalloc nor to malloc."
                                : "del y frees the int at once: its block goes to the front of its pool's "
                                  "free list.");
    demo_del(env, "y");

    workload_step_at(env, "z = int(\"2001\")",
                     int_blocks ? "z = int(\"2001\") takes the int y just left on the free list: the "
                                  "same address, so the same id()."
                                : "z = int(\"2001\") gets the block y just gave back: the same address, so "
                                  "the same id().");
    demo_int_reuse(env, "z", 2001, "id(z) == old id(y)", y_id);

    workload_step_at(env, "del x",
                     "At the end of the program every name goes away and every block is "
                     "given back.");
    demo_del(env, "x");
    demo_del(env, "z");
    if (thousand)
        rt_decref(rt, thousand, EV_REF_TEMP, NULL); /* the code object goes with the program */
}
