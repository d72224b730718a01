/*
 * demo_gc.c - the demos about the cycle collector: cycles, generations, weakref, finalizers
 * and gc-tuning.  The values printed are CPython 3.11's for the same snippets
 * (tests/runtime/cpython_numbers.h).
 */
#include "demos.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int oldest(struct workload_env *env)
{
    return gc_full_generation(env->rt);
}

/* ---- cycles ----------------------------------------------------------------------------------------- */

void demo_run_cycles(struct workload_env *env)
{
    struct runtime *rt = env->rt;

    workload_step_at(env, "n = int(\"1000\")",
                     "The collector tracks only containers, objects that can refer to others: "
                     "an int is never tracked, a list always is.");
    demo_set_int(env, "n", 1000);
    struct rt_object *empty = rt_list(rt, 0, NULL);
    if (demo_get(env, "n") && empty)
        workload_print(env, "gc.is_tracked(n) -> %s ; gc.is_tracked([]) -> %s\n",
                       gc_is_tracked(demo_get(env, "n")) ? "True" : "False", gc_is_tracked(empty) ? "True" : "False");
    if (empty)
        rt_decref(rt, empty, EV_REF_TEMP, NULL);
    demo_del(env, "n");

    workload_step_at(env, "a = []",
                     "a = [] and a.append(a): the list refers to itself, so two references "
                     "point at it.");
    demo_set(env, "a", rt_list(rt, 0, NULL));
    if (demo_get(env, "a"))
        rt_list_append(rt, demo_get(env, "a"), demo_get(env, "a"));
    demo_print_refcount(env, "a");

    workload_step_at(env, "del a",
                     "del a leaves the list with one reference, its own: nothing can reach "
                     "it, yet it is not freed.");
    demo_del(env, "a");

    workload_step_at(env, "print(\"gc.collect() ->\", gc.collect())",
                     "gc.collect() subtracts the reference from inside, finds the list "
                     "unreachable and frees it: it returns 1.");
    demo_gc_collect(env);

    workload_step_at(env, "mid, left, right = Node(), Node(), Node()",
                     "mid, left and right are three Node instances, and mid points to the "
                     "other two.");
    const struct rt_type *Node = demo_class(env, "Node");
    if (!Node)
        return;
    demo_set(env, "mid", rt_instance(rt, Node));
    demo_set(env, "left", rt_instance(rt, Node));
    demo_set(env, "right", rt_instance(rt, Node));
    struct rt_object *mid = demo_get(env, "mid"), *left = demo_get(env, "left"),
                     *right = demo_get(env, "right");
    if (!mid || !left || !right)
        return;
    rt_setattr(rt, mid, "left", left);
    rt_setattr(rt, mid, "right", right);

    workload_step_at(env, "left.next = right",
                     "left.next = right and right.prev = left link the two both ways: a "
                     "cycle.");
    rt_setattr(rt, left, "next", right);
    rt_setattr(rt, right, "prev", left);
    demo_print_refcount(env, "left");

    workload_step_at(env, "del mid, left, right",
                     "del mid, left, right: mid is freed at once, but left and right keep "
                     "each other alive.");
    demo_del(env, "mid");
    demo_del(env, "left");
    demo_del(env, "right");

    workload_step_at(env, "print(\"gc.collect() ->\", gc.collect())",
                     "gc.collect() finds that only left and right refer to each other and "
                     "frees both: it returns 2.");
    demo_gc_collect(env);
}

/* gc.set_threshold(*t[:n]): CPython parses the arguments from a tuple made for the call
 * (METH_VARARGS), which then goes to the tuple free list: one more container for the count of
 * generation 0 when that free list was empty, as after a full collection. */
static void set_threshold(struct runtime *rt, size_t n, const uint32_t *t)
{
    struct rt_object *items[GC_MAX_GENERATIONS] = {0};
    size_t k = 0;
    for (; k < n; k++)
        if (!(items[k] = rt_int(rt, t[k])))
            break;
    struct rt_object *args = k == n ? rt_tuple(rt, n, items) : NULL;
    for (size_t i = 0; i < k; i++)
        rt_decref(rt, items[i], EV_REF_TEMP, NULL);
    rt_xdecref(rt, args, EV_REF_TEMP, NULL);
    gc_set_threshold(rt, n, t);
}

/* ---- generations --------------------------------------------------------------------------------------- */

struct tally {
    struct workload_env *env;
    uint64_t by_gen[GC_MAX_GENERATIONS];
    uint64_t examined;
};

/* The source's tally(): `examined += len(gc.get_objects(g))` makes and frees a list for each
 * generation, as CPython's does (that list's memory then serves the next new list from the free
 * list, which the count of generation 0 does not see).  CPython's list holds the interpreter's own
 * objects too; the runtime counts them without making them, so they are added. */
static void tally_cb(struct runtime *rt, const char *phase, const struct gc_info *info, void *ctx)
{
    struct tally *t = ctx;
    if (strcmp(phase, "start") != 0)
        return;
    t->by_gen[info->generation]++;
    for (int g = 0; g <= info->generation; g++) {
        struct rt_object *objs = gc_get_objects(rt, g);
        if (!objs)
            continue;
        t->examined += rt_len(objs) + gc_get_objects_startup(rt, g);
        rt_decref(rt, objs, EV_REF_TEMP, NULL);
    }
}

static void print_tally(struct workload_env *env, const struct tally *t)
{
    char buf[128] = "";
    size_t pos = 0;
    for (size_t g = 0; g < gc_module_generations(env->rt) && pos < sizeof buf; g++)
        pos += (size_t)snprintf(buf + pos, sizeof buf - pos, "%sgeneration %zu: %" PRIu64,
                                g ? ", " : "", g, t->by_gen[g]);
    workload_print(env, "automatic collections: %s; objects examined: %" PRIu64 "\n", buf,
                   t->examined);
}

/* keep.append([]) n times */
static void append_lists(struct workload_env *env, struct rt_object *keep, int n)
{
    for (int i = 0; i < n; i++) {
        struct rt_object *l = rt_list(env->rt, 0, NULL);
        if (!l)
            return;
        rt_list_append(env->rt, keep, l);
        rt_decref(env->rt, l, EV_REF_TEMP, NULL);
    }
}

void demo_run_generations(struct workload_env *env)
{
    struct runtime *rt = env->rt;
    uint32_t saved[GC_MAX_GENERATIONS];
    gc_get_threshold(rt, saved);
    /* 3.14.0-3.14.4: young and old, the old generation collected in increments */
    bool incr = rt_gc_profile(rt)->incremental;
    char label[240];

    workload_step_at(env, "gc.collect()",
                     "After gc.collect() the counts are zero; three new lists make the count "
                     "of generation 0 three.");
    gc_collect(rt, oldest(env));
    demo_set(env, "a", rt_list(rt, 0, NULL));
    demo_set(env, "b", rt_list(rt, 0, NULL));
    demo_set(env, "c", rt_list(rt, 0, NULL));
    demo_counts(env);

    workload_step_at(env, "print(\"gc.collect(0) ->\", gc.collect(0))",
                     incr ? "gc.collect(0) examines the young generation only: the lists survive and "
                            "join the visited end of the old one, whose count goes up by one."
                          : "gc.collect(0) examines generation 0 only: the lists survive and move to "
                            "generation 1, whose count goes up by one.");
    demo_collect(env, 0);
    demo_counts(env);

    if (incr)
        snprintf(label, sizeof label,
                 "gc.collect(1) runs one increment of the old generation; the first of a scavenge only "
                 "marks what the roots reach as visited (the names, and the %zu objects the interpreter "
                 "started with), and collects nothing.",
                 gc_get_objects_startup(rt, 2));
    else
        snprintf(label, sizeof label,
                 "gc.collect(1) examines generations 0 and 1: the survivors move on to generation 2, where "
                 "the %zu objects the interpreter started with already are.",
                 gc_startup_objects(rt, (size_t)oldest(env)));
    workload_step_at(env, "print(\"gc.collect(1) ->\", gc.collect(1))", label);
    demo_collect(env, 1);
    demo_counts(env);

    workload_step_at(env, "C = [[[]]]",
                     "A chain C -> B -> A with only C named: the collector moves A and B out, "
                     "then back behind C, reversing their order.");
    struct rt_object *A = rt_list(rt, 0, NULL);
    struct rt_object *B = A ? rt_list(rt, 1, &A) : NULL;
    if (B)
        demo_set(env, "C", rt_list(rt, 1, &B));
    rt_xdecref(rt, A, EV_REF_TEMP, NULL);
    rt_xdecref(rt, B, EV_REF_TEMP, NULL);
    demo_collect(env, 0);

    workload_step_at(env, "gc.set_threshold(5)",
                     incr ? "gc.set_threshold(5): now every sixth new container starts a collection "
                            "by itself, always an increment of the old generation."
                          : "gc.set_threshold(5): now every sixth new container starts a collection "
                            "of generation 0 by itself.");
    set_threshold(rt, 1, (uint32_t[]){5});
    struct tally t = {.env = env};
    gc_callback_add(rt, tally_cb, &t);
    demo_set(env, "keep", rt_list(rt, 0, NULL));
    struct rt_object *keep = demo_get(env, "keep");
    if (keep)
        append_lists(env, keep, 6);
    print_tally(env, &t);

    if (incr)
        snprintf(label, sizeof label,
                 "Each increment takes all of young and, while its budget lasts, the oldest pending "
                 "objects with all they reach (threshold %" PRIu32 " scales the budget, which each scavenge's "
                 "marking lowers by twice the interpreter's objects).",
                 saved[1]);
    else
        snprintf(label, sizeof label,
                 "Each batch of new lists starts a collection of generation 0, which adds one to the count of "
                 "generation 1; past its threshold, %" PRIu32 ", the next collection takes generation 1 too.",
                 saved[1]);
    workload_step_at(env, "for _ in range(6 * 10):", label);
    if (keep)
        append_lists(env, keep, 6 * 10);
    print_tally(env, &t);
    demo_counts(env);

    uint64_t pending, total;
    gc_get_long_lived(rt, &pending, &total);
    if (incr)
        snprintf(label, sizeof label,
                 "There is no long-lived rule: when no object is pending the scavenge is complete, and the "
                 "visited objects all become pending again.");
    else
        snprintf(label, sizeof label,
                 "A full collection waits until the objects promoted since the last one (%" PRIu64 " so far) "
                 "reach a quarter of the %" PRIu64 " it kept, the interpreter's own included: the long-lived "
                 "rule.",
                 pending, total);
    workload_step_at(env, "for _ in range(6 * 11 * 11):", label);
    uint64_t full = t.by_gen[oldest(env)];
    if (keep)
        append_lists(env, keep, 6 * 11 * 11);
    print_tally(env, &t);

    gc_get_long_lived(rt, &pending, &total);
    if (incr)
        snprintf(label, sizeof label, "Back to the default thresholds; deleting the names frees everything.");
    else if (t.by_gen[oldest(env)] == full)
        snprintf(label, sizeof label,
                 "No full collection came, for the %" PRIu64 " objects promoted since the last are fewer "
                 "than a quarter of its %" PRIu64 "; back to the default thresholds, and deleting the names "
                 "frees everything.",
                 pending, total);
    else
        snprintf(label, sizeof label,
                 "A full collection came once the objects promoted reached a quarter of those the last one "
                 "kept; back to the default thresholds, and deleting the names frees everything.");
    workload_step_at(env, "gc.callbacks.remove(tally)", label);
    gc_callback_remove(rt, tally_cb, &t);
    set_threshold(rt, gc_module_generations(rt), saved);
    const char *names[] = {"a", "b", "c", "C", "keep"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (demo_get(env, names[i]))
            demo_del(env, names[i]);
}

/* ---- weakref ------------------------------------------------------------------------------------------- */

static void print_callback(struct runtime *rt, struct rt_object *arg, void *ctx)
{
    (void)rt;
    struct workload_env *env = ctx;
    char buf[96];
    workload_print(env, "callback called with %s\n", arg ? rt_repr(arg, buf, sizeof buf) : "None");
}

void demo_run_weakref(struct workload_env *env)
{
    struct runtime *rt = env->rt;
    const struct rt_type *Node = demo_class(env, "Node");
    if (!Node)
        return;

    workload_step_at(env, "a = Node()",
                     "a = Node(); r = weakref.ref(a): a weak reference does not add to a's "
                     "count, which stays 2.");
    demo_set(env, "a", rt_instance(rt, Node));
    if (!demo_get(env, "a"))
        return;
    demo_set(env, "r", rt_weakref(rt, demo_get(env, "a"), NULL));
    demo_print_refcount(env, "a");

    workload_step_at(env, "print(\"r() is a ->\", r() is a)",
                     "r() gives the object back while it is alive: r() is a is True.");
    if (demo_get(env, "r")) {
        struct rt_object *got = rt_weakref_get(rt, demo_get(env, "r"));
        demo_print_bool(env, "r() is a", got == demo_get(env, "a"));
        rt_decref(rt, got, EV_REF_TEMP, NULL);
    }

    workload_step_at(env, "del a",
                     "del a frees the object at once; its weak reference is cleared, and r() "
                     "now returns None.");
    demo_del(env, "a");
    if (demo_get(env, "r")) {
        struct rt_object *got = rt_weakref_get(rt, demo_get(env, "r"));
        char buf[32];
        workload_print(env, "r() -> %s\n", rt_repr(got, buf, sizeof buf));
        rt_decref(rt, got, EV_REF_TEMP, NULL);
    }

    workload_step_at(env, "b = Node()",
                     "r2 = weakref.ref(b, callback): when b dies, the callback is called with "
                     "the dead weak reference.");
    demo_set(env, "callback", rt_function(rt, "callback", print_callback, env));
    demo_set(env, "b", rt_instance(rt, Node));
    if (demo_get(env, "b") && demo_get(env, "callback"))
        demo_set(env, "r2", rt_weakref(rt, demo_get(env, "b"), demo_get(env, "callback")));
    demo_del(env, "b");

    workload_step_at(env, "p = Parent()",
                     "Parent and Child: p.child = c, but the child points back through "
                     "weakref.proxy(p) instead of a strong reference.");
    const struct rt_type *Parent = demo_class(env, "Parent"), *Child = demo_class(env, "Child");
    if (!Parent || !Child)
        return;
    demo_set(env, "p", rt_instance(rt, Parent));
    demo_set(env, "c", rt_instance(rt, Child));
    struct rt_object *p = demo_get(env, "p"), *c = demo_get(env, "c");
    if (!p || !c)
        return;
    rt_setattr(rt, p, "child", c);
    struct rt_object *proxy = rt_proxy(rt, p, NULL);
    if (proxy) {
        rt_setattr(rt, c, "parent", proxy);
        rt_decref(rt, proxy, EV_REF_TEMP, NULL);
    }
    demo_print_refcount(env, "p");

    workload_step_at(env, "del p",
                     "del p frees the parent at once: without a strong back-reference there "
                     "is no cycle.");
    demo_del(env, "p");

    workload_step_at(env, "c.parent.child",
                     "c.parent.child now raises ReferenceError: the proxy's object is gone.");
    struct rt_object *parent = rt_getattr(rt, c, "parent");
    if (parent && !rt_getattr(rt, parent, "child"))
        workload_print(env, "ReferenceError: weakly-referenced object no longer exists\n");

    workload_step_at(env, "print(\"gc.collect() ->\", gc.collect())",
                     "gc.collect() has nothing to do: it returns 0.");
    demo_gc_collect(env);

    workload_step_at(env, "del c, r, r2, callback",
                     "Deleting the remaining names frees the child, the proxy and the weak "
                     "references.");
    const char *names[] = {"c", "r", "r2", "callback"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (demo_get(env, names[i]))
            demo_del(env, names[i]);
}

/* ---- finalizers ------------------------------------------------------------------------------------------ */

static void del_print(struct runtime *rt, struct rt_object *self, void *ctx)
{
    struct workload_env *env = ctx;
    char buf[96];
    (void)rt;
    workload_print(env, "__del__ called on %s\n", rt_repr(self, buf, sizeof buf));
}

static void del_resurrect(struct runtime *rt, struct rt_object *self, void *ctx)
{
    struct workload_env *env = ctx;
    workload_print(env, "__del__ saves self in the list 'saved'\n");
    struct rt_object *saved = rt_lookup(rt, "saved");
    if (saved)
        rt_list_append(rt, saved, self);
}

static struct rt_object *self_cycle(struct workload_env *env, const struct rt_type *cls)
{
    struct rt_object *o = rt_instance(env->rt, cls);
    if (o)
        rt_setattr(env->rt, o, "me", o);
    return o;
}

void demo_run_finalizers(struct workload_env *env)
{
    struct runtime *rt = env->rt;
    bool legacy = rt_gc_profile(rt)->legacy_finalizers;

    struct rt_class_spec aspec = {.name = "A", .del = del_print, .del_ctx = env};
    const struct rt_type *A = rt_class_new(rt, &aspec);
    struct rt_class_spec rspec = {.name = "R", .del = del_resurrect, .del_ctx = env};
    const struct rt_type *R = rt_class_new(rt, &rspec);
    struct rt_class_spec lspec = {.name = "L", .del = del_print, .del_ctx = env,
                                  .legacy_del = true};
    const struct rt_type *L = rt_class_new(rt, &lspec);
    if (!A || !R || !L)
        return;

    workload_step_at(env, "a = A()",
                     "a = A(); a.me = a: an instance of a class with __del__ that refers to "
                     "itself.");
    demo_set(env, "a", self_cycle(env, A));

    workload_step_at(env, "del a",
                     "del a: the cycle keeps the instance alive, so its __del__ has not run "
                     "yet.");
    demo_del(env, "a");

    workload_step_at(env, "print(\"gc.collect() ->\", gc.collect())",
                     legacy ? "Under the legacy rule gc.collect() will not run __del__ in a cycle: "
                              "the instance goes to gc.garbage, uncollectable."
                            : "gc.collect() runs __del__ first (PEP 442), checks that nothing was "
                              "resurrected, then breaks the cycle: it returns 1.");
    demo_gc_collect(env);
    workload_print(env, "len(gc.garbage) -> %zu\n", rt_len(gc_garbage(rt)));

    workload_step_at(env, "saved = []",
                     "r = R(); r.me = r, where R's __del__ stores self in the list saved: a "
                     "finalizer that resurrects.");
    demo_set(env, "saved", rt_list(rt, 0, NULL));
    demo_set(env, "r", self_cycle(env, R));
    demo_del(env, "r");

    workload_step_at(env, "print(\"gc.collect() ->\", gc.collect())",
                     legacy ? "gc.collect() puts the instance in gc.garbage without running its "
                              "__del__."
                            : "gc.collect() runs the __del__, sees the instance reachable again "
                              "and keeps it: it returns 0.");
    demo_gc_collect(env);
    if (demo_get(env, "saved"))
        workload_print(env, "len(saved) -> %zu\n", rt_len(demo_get(env, "saved")));

    workload_step_at(env, "saved.clear()",
                     "saved.clear() and gc.collect() free it now, and __del__ does not run a "
                     "second time.");
    if (demo_get(env, "saved"))
        rt_list_clear(rt, demo_get(env, "saved"));
    if (legacy)
        rt_list_clear(rt, gc_garbage(rt));
    demo_gc_collect(env);

    workload_step_at(env, "l = L()",
                     "A legacy finalizer (a C type's tp_del, like every __del__ in Python 2.7) "
                     "in a cycle is never called: the object goes to gc.garbage.");
    demo_set(env, "l", self_cycle(env, L));
    demo_del(env, "l");
    demo_gc_collect(env);
    workload_print(env, "len(gc.garbage) -> %zu\n", rt_len(gc_garbage(rt)));

    workload_step_at(env, "del saved",
                     "gc.garbage keeps those objects alive until the program deals with them; "
                     "only the end of the program lets them go.");
    demo_del(env, "saved");
}

/* ---- gc-tuning ----------------------------------------------------------------------------------------- */

static void build(struct workload_env *env, struct tally *t, int n)
{
    memset(t, 0, sizeof *t);
    t->env = env;
    gc_callback_add(env->rt, tally_cb, t);
    demo_set(env, "keep", rt_list(env->rt, 0, NULL));
    if (demo_get(env, "keep"))
        append_lists(env, demo_get(env, "keep"), n);
    gc_callback_remove(env->rt, tally_cb, t);
    print_tally(env, t);
    demo_del(env, "keep");
    gc_collect(env->rt, oldest(env));
}

void demo_run_gc_tuning(struct workload_env *env)
{
    struct runtime *rt = env->rt;
    uint32_t saved[GC_MAX_GENERATIONS];
    gc_get_threshold(rt, saved);
    struct tally t;
    gc_collect(rt, oldest(env));

    char label[200];
    snprintf(label, sizeof label,
             "With the default threshold, keeping 10,000 new lists runs a collection every %" PRIu32
             " or so containers.",
             saved[0]);
    workload_step_at(env, "build(10000)", label);
    build(env, &t, 10000);

    workload_step_at(env, "gc.set_threshold(10000)",
                     "gc.set_threshold(10000): the same work runs just one collection, which "
                     "examines more objects at once.");
    set_threshold(rt, 1, (uint32_t[]){10000});
    build(env, &t, 10000);

    workload_step_at(env, "gc.set_threshold(100)",
                     "gc.set_threshold(100): many small collections, and more objects "
                     "examined in total.");
    set_threshold(rt, 1, (uint32_t[]){100});
    build(env, &t, 10000);
    set_threshold(rt, gc_module_generations(rt), saved);

    workload_step_at(env, "gc.disable()",
                     "gc.disable() stops automatic collections altogether; gc.collect() still "
                     "works when called.");
    gc_disable(rt);
    build(env, &t, 10000);
    demo_print_bool(env, "gc.isenabled()", gc_isenabled(rt));
    gc_enable(rt);

    snprintf(label, sizeof label,
             "gc.freeze() moves every tracked object to the permanent generation, where collections never "
             "look, the %zu the interpreter started with included.",
             gc_get_objects_startup(rt, -1) + gc_startup_objects(rt, gc_generation_count(rt)));
    workload_step_at(env, "keep = []", label);
    demo_set(env, "keep", rt_list(rt, 0, NULL));
    if (demo_get(env, "keep"))
        append_lists(env, demo_get(env, "keep"), 1000);
    gc_freeze(rt);
    workload_print(env, "gc.get_freeze_count() -> %zu\n", gc_get_freeze_count(rt));
    demo_counts(env);

    workload_step_at(env, "print(\"gc.collect() ->\", gc.collect())",
                     "A full collection now examines next to nothing: everything made before the "
                     "freeze, the interpreter's own objects too, is frozen.");
    memset(&t, 0, sizeof t);
    gc_callback_add(rt, tally_cb, &t);
    demo_gc_collect(env);
    gc_callback_remove(rt, tally_cb, &t);
    workload_print(env, "objects examined: %" PRIu64 "\n", t.examined);

    workload_step_at(env, "gc.unfreeze()",
                     "gc.unfreeze() puts them all back into the oldest generation.");
    gc_unfreeze(rt);
    workload_print(env, "gc.get_freeze_count() -> %zu\n", gc_get_freeze_count(rt));
    demo_del(env, "keep");
}
