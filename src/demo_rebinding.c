/*
 * demo_rebinding.c - the demo about names as labels: binding a name to another object drops a
 * reference to the old one, which is freed at once when that was its last (docs/cpython-memory.md
 * 8.1).  It also counts the references of the course's `x = 300; y = x; z = [x, y]` slide, and
 * shows that `b = a = 1; b = None` frees nothing.  The values printed are CPython 3.11's and
 * 3.12's (tests/runtime/test_demo_sources.c compares them).
 */
#include "demos.h"

/* [v0, v1, v2] of small ints. */
static struct rt_object *small_list(struct runtime *rt, int64_t v0)
{
    struct rt_object *items[3] = {rt_int(rt, v0), rt_int(rt, v0 + 1), rt_int(rt, v0 + 2)};
    struct rt_object *l = items[0] && items[1] && items[2] ? rt_list(rt, 3, items) : NULL;
    for (size_t i = 0; i < 3; i++)
        rt_xdecref(rt, items[i], EV_REF_TEMP, NULL);
    return l;
}

void demo_run_rebinding(struct workload_env *env)
{
    struct runtime *rt = env->rt;

    workload_step_at(env, "x = [1, 2, 3]",
                     "x = [1, 2, 3] makes a list whose one reference is the name x: getrefcount says 2, "
                     "counting its own argument.");
    demo_set(env, "x", small_list(rt, 1));
    demo_print_refcount(env, "x");

    workload_step_at(env, "x = [4, 5, 6]",
                     "x = [4, 5, 6] makes a second list and moves the label x to it: the first list's "
                     "count drops to 0 and it dies at once, its items freed, its block kept on the list "
                     "free list.");
    demo_set(env, "x", small_list(rt, 4));
    demo_print_repr(env, "x");

    workload_step_at(env, "x = int(\"300\")",
                     "Rebinding x again kills the second list the same way; int('300') is made at run "
                     "time, since a literal 300 is also held by the code's constants.");
    demo_set_int(env, "x", 300);

    workload_step_at(env, "z = [x, y]",
                     "y = x and z = [x, y] give the int four references, x, y and the list's two items, "
                     "as the slide counts; getrefcount says 5 with its argument.");
    demo_alias(env, "y", "x");
    demo_set(env, "z", demo_list_of(env, "x", "y"));
    demo_print_refcount(env, "x");

    workload_step_at(env, "del x",
                     "del x removes a name, not the object: the int keeps y and the list's two items, "
                     "and getrefcount says 4.");
    demo_del(env, "x");
    demo_print_refcount(env, "y");

    workload_step_at(env, "del z",
                     "del z frees the list and the two references it held: y is the last one, the "
                     "slide's 1, and getrefcount says 2.");
    demo_del(env, "z");
    demo_print_refcount(env, "y");

    workload_step_at(env, "a = 1",
                     "a = 1; b = a; b = None only moves the label b: a still holds the int 1, a cached "
                     "small int that is never freed, so nothing is collected here.");
    demo_set_int(env, "a", 1);
    demo_alias(env, "b", "a");
    demo_set(env, "b", rt_none(rt));
    demo_print_repr(env, "a");

    workload_step_at(env, "del a, b, y",
                     "del a, b, y frees the int 300 with its last name; the small int 1 stays in its "
                     "cache for the life of the interpreter.");
    demo_del(env, "a");
    demo_del(env, "b");
    demo_del(env, "y");
}
