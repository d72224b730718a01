/*
 * demo_objects.c - the demos about objects and names: refcount, identity and copy.
 * Each step mirrors a line of Python; the values printed are CPython 3.11's
 * (tests/runtime/cpython_numbers.h states them and the tests check them).
 */
#include "demos.h"

#include <stdio.h>

/* ---- refcount: the sys.getrefcount exercise ------------------------------------------------------ */

void demo_run_refcount(struct workload_env *env)
{
    struct runtime *rt = env->rt;

    workload_step_at(env, "a = []",
                     "a = [] creates a list held by one name; sys.getrefcount(a) says 2 "
                     "because its own argument counts too.");
    demo_set(env, "a", rt_list(rt, 0, NULL));
    demo_print_refcount(env, "a");

    workload_step_at(env, "f(a)",
                     "Calling f(a) binds the parameter x to the same list, so inside f the "
                     "count is one higher: getrefcount says 3, 2 true references and its argument.");
    struct rt_object *a = demo_get(env, "a");
    if (!a)
        return;
    rt_frame_push(rt, "f");
    rt_bind_arg(rt, "x", a);
    demo_print_refcount(env, "x");

    workload_step_at(env, "print(\"sys.getrefcount(a) ->\", sys.getrefcount(a))",
                     "Returning from f ends its scope: x goes away and getrefcount is back "
                     "to 2, the one name and its argument.");
    rt_frame_pop(rt);
    demo_print_refcount(env, "a");

    workload_step_at(env, "b = a",
                     "b = a binds a second name to the same list: getrefcount says 3, the "
                     "Objects pane 2 (it shows true counts).");
    demo_alias(env, "b", "a");
    demo_print_refcount(env, "a");

    workload_step_at(env, "l = [a, a]",
                     "l = [a, a] stores two more references in the new list's items: "
                     "getrefcount says 5, the true count is 4.");
    demo_set(env, "l", demo_list_of(env, "a", "a"));
    demo_print_refcount(env, "a");

    workload_step_at(env, "del l",
                     "del l frees that list, and its two references to a go with it: "
                     "getrefcount says 3 again.");
    demo_del(env, "l");
    demo_print_refcount(env, "a");

    workload_step_at(env, "c = C()",
                     "c = C(); c.attr = a keeps a reference in an instance attribute: "
                     "getrefcount says 4, the true count is 3.");
    const struct rt_type *C = demo_class(env, "C");
    if (C) {
        demo_set(env, "c", rt_instance(rt, C));
        if (demo_get(env, "c"))
            rt_setattr(rt, demo_get(env, "c"), "attr", a);
    }
    demo_print_refcount(env, "a");

    workload_step_at(env, "del b",
                     "del b and del c drop those references: getrefcount is back to 2, "
                     "one true reference and its argument.");
    demo_del(env, "b");
    demo_del(env, "c");
    demo_print_refcount(env, "a");

    workload_step_at(env, "a = None",
                     "a = None rebinds the name: the list loses its last reference and is freed "
                     "at once, with no help from the collector.");
    demo_set(env, "a", rt_none(rt));
    demo_del(env, "a");
}

/* ---- identity ---------------------------------------------------------------------------------------- */

/* a = int(value); b = int(value); print("a is b ->", a is b) */
static void ints_are_one(struct workload_env *env, const char *a, const char *b, int64_t value)
{
    demo_set_int(env, a, value);
    demo_set_int(env, b, value);
    demo_is(env, a, b);
}

void demo_run_identity(struct workload_env *env)
{
    struct runtime *rt = env->rt;

    workload_step_at(env, "a = 123",
                     "a = 123 and b = 123 get the same object from the small-int cache, so "
                     "a is b is True.");
    ints_are_one(env, "a", "b", 123);

    workload_step_at(env, "x = int(\"1000\")",
                     "Ints above 256 built at run time are new objects each time: "
                     "int('1000') is int('1000') is False, though they are equal.");
    ints_are_one(env, "x", "y", 1000);
    if (demo_get(env, "x") && demo_get(env, "y"))
        demo_print_bool(env, "x == y", rt_int_value(demo_get(env, "x")) == rt_int_value(demo_get(env, "y")));

    workload_step_at(env, "x = int(\"256\")",
                     "The cache holds -5 to 256: int('256') is int('256') is True, but for 257 "
                     "it is False.");
    ints_are_one(env, "x", "y", 256);
    ints_are_one(env, "x", "y", 257);

    workload_step_at(env, "s1 = \"python\"",
                     "The literal 'python' looks like a name, so it is interned: two literals "
                     "give one object.");
    demo_set(env, "s1", rt_str_literal(rt, "python"));
    demo_set(env, "s2", rt_str_literal(rt, "python"));
    demo_is(env, "s1", "s2");

    workload_step_at(env, "s3 = \"\".join([\"py\", \"thon\"])",
                     "A string built at run time, ''.join(['py', 'thon']), is a new object, "
                     "equal but not identical.");
    struct rt_object *py = rt_str(rt, "py"), *thon = rt_str(rt, "thon");
    if (py && thon)
        demo_set(env, "s3", rt_str_concat(rt, py, thon));
    rt_xdecref(rt, py, EV_REF_TEMP, NULL);
    rt_xdecref(rt, thon, EV_REF_TEMP, NULL);
    demo_is(env, "s3", "s1");

    workload_step_at(env, "s4 = sys.intern(s3)",
                     "sys.intern(s3) returns the interned 'python', so the new name refers to "
                     "the same object as s1.");
    struct rt_object *s3 = demo_get(env, "s3");
    if (s3) {
        rt_incref(rt, s3, EV_REF_ARG, NULL);
        demo_set(env, "s4", rt_intern(rt, s3));
        demo_is(env, "s4", "s1");
    }

    workload_step_at(env, "del a, b, x, y, s1, s2, s3, s4",
                     "Deleting the names frees the run-time objects; the cached ints and the "
                     "interned string stay.");
    const char *names[] = {"a", "b", "x", "y", "s1", "s2", "s3", "s4"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (demo_get(env, names[i]))
            demo_del(env, names[i]);
}

/* ---- copy ---------------------------------------------------------------------------------------------- */

static void item_is(struct workload_env *env, const char *a, const char *b, size_t i)
{
    struct rt_object *x = demo_get(env, a), *y = demo_get(env, b);
    if (!x || !y)
        return;
    char what[64];
    snprintf(what, sizeof what, "%s[%zu] is %s[%zu]", a, i, b, i);
    demo_print_bool(env, what, rt_item(x, i) == rt_item(y, i));
}

void demo_run_copy(struct workload_env *env)
{
    struct runtime *rt = env->rt;

    workload_step_at(env, "a = [10, 10, [10, 11]]",
                     "a = [10, 10, [10, 11]] is an outer list holding the int 10 twice and an "
                     "inner list.");
    struct rt_object *ten = rt_int(rt, 10), *eleven = rt_int(rt, 11);
    if (!ten || !eleven)
        return;
    struct rt_object *inner_items[] = {ten, eleven};
    struct rt_object *inner = rt_list(rt, 2, inner_items);
    if (inner) {
        struct rt_object *outer_items[] = {ten, ten, inner};
        demo_set(env, "a", rt_list(rt, 3, outer_items));
        rt_decref(rt, inner, EV_REF_TEMP, NULL);
    }
    rt_decref(rt, ten, EV_REF_TEMP, NULL);
    rt_decref(rt, eleven, EV_REF_TEMP, NULL);
    demo_print_repr(env, "a");
    if (!demo_get(env, "a"))
        return;

    workload_step_at(env, "b = copy.copy(a)",
                     "b = copy.copy(a) makes a new outer list whose items are the same "
                     "objects: b[2] is a[2].");
    demo_set(env, "b", rt_copy(rt, demo_get(env, "a")));
    demo_is(env, "b", "a");
    item_is(env, "b", "a", 2);

    workload_step_at(env, "c = copy.deepcopy(a)",
                     "c = copy.deepcopy(a) copies the inner list as well: c[2] is not a[2].");
    demo_set(env, "c", rt_deepcopy(rt, demo_get(env, "a")));
    item_is(env, "c", "a", 2);

    workload_step_at(env, "print(\"c[0] is a[0] ->\", c[0] is a[0])",
                     "Ints cannot change, so even deepcopy shares them: c[0] is a[0].");
    item_is(env, "c", "a", 0);

    workload_step_at(env, "a[2].append(12)",
                     "a[2].append(12) changes the inner list that a and b share, but not c's "
                     "copy.");
    struct rt_object *twelve = rt_int(rt, 12);
    if (twelve) {
        rt_list_append(rt, rt_item(demo_get(env, "a"), 2), twelve);
        rt_decref(rt, twelve, EV_REF_TEMP, NULL);
    }
    demo_print_repr(env, "a");
    demo_print_repr(env, "b");
    demo_print_repr(env, "c");

    workload_step_at(env, "del a, b, c",
                     "del a, b and c frees the three outer lists and the two inner lists.");
    demo_del(env, "a");
    demo_del(env, "b");
    demo_del(env, "c");
}
