/*
 * test_runtime.c - the object runtime and the cycle collector against CPython 3.11's numbers
 * (cpython_numbers.h), with the allocator's and the collector's validators and an event fold
 * checked after every step.
 */
#include "rt_fixture.h"

#include <allocator/heap_inspect.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct rt_fixture fx;
static struct runtime *rt;

static void setup(void)
{
    fixture_open(&fx, NULL);
    rt = fx.rt;
}

static void teardown(void)
{
    fixture_close(&fx);
}

#define STEP() fixture_check(&fx)

static void counts_are(const char *name)
{
    uint32_t c[GC_MAX_GENERATIONS];
    gc_get_count(rt, c);
    char buf[64];
    snprintf(buf, sizeof buf, "%u,%u,%u", c[0], c[1], c[2]);
    cr_assert_str_eq(buf, cpython_number(name), "%s", name);
}

static const struct rt_type *plain_class(const char *name)
{
    struct rt_class_spec spec = {.name = name};
    const struct rt_type *t = rt_class_new(rt, &spec);
    cr_assert_not_null(t);
    return t;
}

/* ---- sizes -------------------------------------------------------------------------------------- */

TestSuite(sizes, .init = setup, .fini = teardown);

Test(sizes, objects_have_cpython_311_sizes)
{
    struct rt_object *i = rt_int(rt, 1000), *zero = rt_int(rt, 0), *f = rt_float(rt, 1.5);
    struct rt_object *s = rt_str_literal(rt, "python");
    struct rt_object *e = rt_tuple(rt, 0, NULL);
    struct rt_object *items[] = {rt_int(rt, 1), rt_int(rt, 2), rt_int(rt, 3)};
    struct rt_object *t3 = rt_tuple(rt, 3, items);
    struct rt_object *l = rt_list(rt, 0, NULL), *d = rt_dict(rt);
    cr_assert_eq(rt_sizeof(i), (size_t)cpython_int("sizeof_int_1000"));
    cr_assert_eq(rt_sizeof(zero), (size_t)cpython_int("sizeof_int_0"));
    cr_assert_eq(rt_sizeof(f), (size_t)cpython_int("sizeof_float"));
    cr_assert_eq(rt_sizeof(s), (size_t)cpython_int("sizeof_str_python"));
    cr_assert_eq(rt_sizeof(e), (size_t)cpython_int("sizeof_empty_tuple"));
    cr_assert_eq(rt_sizeof(t3), (size_t)cpython_int("sizeof_tuple3"));
    cr_assert_eq(rt_sizeof(l), (size_t)cpython_int("sizeof_empty_list"));
    cr_assert_eq(rt_sizeof(d), (size_t)cpython_int("sizeof_empty_dict"));
    /* the blocks the allocator sees: the GC head is inside the block, before the object */
    cr_assert_eq(heap_block_size(fx.heap, i), 32);
    cr_assert_eq(heap_block_size(fx.heap, f), 32);
    cr_assert_eq(heap_block_size(fx.heap, (char *)l - 16), 64);
    cr_assert_eq(heap_block_size(fx.heap, (char *)d - 16), 64);
    cr_assert_eq(heap_block_size(fx.heap, (char *)t3 - 16), 64);
    cr_assert_eq(heap_block_size(fx.heap, s), 64);
    cr_assert_eq(rt_id(l) % 16, 0);
    STEP();
    struct rt_object *all[] = {i, zero, f, s, e, t3, l, d, items[0], items[1], items[2]};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        rt_decref(rt, all[k], EV_REF_TEMP, NULL);
    STEP();
}

Test(sizes, containers_grow_as_in_cpython)
{
    struct rt_object *l = rt_list(rt, 0, NULL);
    char caps[128] = "";
    size_t prev = 0;
    for (int i = 0; i < 60; i++) {
        struct rt_object *v = rt_int(rt, i);
        rt_list_append(rt, l, v);
        rt_decref(rt, v, EV_REF_TEMP, NULL);
        if (i == 4)
            cr_assert_eq(rt_sizeof(l), (size_t)cpython_int("sizeof_list_5_appends"));
        if (rt_list_allocated(l) != prev) {
            prev = rt_list_allocated(l);
            snprintf(caps + strlen(caps), sizeof caps - strlen(caps), "%s%zu", caps[0] ? "," : "",
                     prev);
        }
        STEP();
    }
    cr_assert_str_eq(caps, cpython_number("list_growth"));

    struct rt_object *d = rt_dict(rt), *one = rt_int(rt, 1);
    struct rt_object *a = rt_str_literal(rt, "a");
    rt_dict_set(rt, d, a, one);
    cr_assert_eq(rt_sizeof(d), (size_t)cpython_int("sizeof_dict_str_key"));
    struct rt_object *d2 = rt_dict(rt);
    rt_dict_set(rt, d2, one, one);
    cr_assert_eq(rt_sizeof(d2), (size_t)cpython_int("sizeof_dict_int_key"));
    struct rt_object *d3 = rt_dict(rt);
    const char *keys[] = {"a", "b", "c", "d", "e", "f"};
    for (int k = 0; k < 6; k++) {
        struct rt_object *key = rt_str_literal(rt, keys[k]);
        rt_dict_set(rt, d3, key, one);
        rt_decref(rt, key, EV_REF_TEMP, NULL);
        STEP();
    }
    cr_assert_eq(rt_sizeof(d3), (size_t)cpython_int("sizeof_dict_6_str_keys"));
    cr_assert_eq(rt_len(d3), 6);
    struct rt_object *key = rt_str_literal(rt, "c");
    cr_assert_eq(rt_dict_get(rt, d3, key), one);
    cr_assert_eq(rt_dict_del(rt, d3, key), 0);
    cr_assert_null(rt_dict_get(rt, d3, key));
    cr_assert_eq(rt_dict_del(rt, d3, key), RT_EINVAL);
    rt_decref(rt, key, EV_REF_TEMP, NULL);
    struct rt_object *all[] = {l, d, d2, d3, one, a};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        rt_decref(rt, all[k], EV_REF_TEMP, NULL);
    STEP();
}

Test(sizes, instances_and_weakrefs)
{
    const struct rt_type *A = plain_class("A");
    const char *slots[] = {"x", "y", NULL};
    struct rt_class_spec sspec = {.name = "S", .slots = slots};
    const struct rt_type *S = rt_class_new(rt, &sspec);
    struct rt_object *a = rt_instance(rt, A), *s = rt_instance(rt, S);
    cr_assert_eq(rt_sizeof(a), (size_t)cpython_int("sizeof_instance"));
    cr_assert_eq(rt_sizeof(s), (size_t)cpython_int("sizeof_slots2"));
    /* the instance's block starts at the managed-dict pre-header, 32 bytes before it */
    cr_assert_eq(heap_block_size(fx.heap, (char *)a - 32), 64);
    cr_assert_eq(heap_block_size(fx.heap, (char *)s - 16), 48);
    struct rt_object *r = rt_weakref(rt, a, NULL);
    cr_assert_eq(rt_sizeof(r), (size_t)cpython_int("sizeof_weakref"));
    cr_assert_null(rt_weakref(rt, s, NULL), "slots without __weakref__ refuse weak references");
    struct rt_object *one = rt_int(rt, 1);
    cr_assert_eq(rt_setattr(rt, s, "x", one), 0);
    cr_assert_eq(rt_setattr(rt, s, "z", one), RT_EINVAL);
    cr_assert_eq(rt_getattr(rt, s, "x"), one);
    cr_assert_eq(rt_setattr(rt, a, "anything", one), 0);
    cr_assert_eq(rt_getattr(rt, a, "anything"), one);
    STEP();
    rt_decref(rt, one, EV_REF_TEMP, NULL);
    rt_decref(rt, r, EV_REF_TEMP, NULL);
    rt_decref(rt, a, EV_REF_TEMP, NULL);
    rt_decref(rt, s, EV_REF_TEMP, NULL);
    STEP();
}

/* ---- reference counts --------------------------------------------------------------------------- */

TestSuite(refcount, .init = setup, .fini = teardown);

Test(refcount, the_getrefcount_exercise)
{
    rt_bind_new(rt, "a", rt_list(rt, 0, NULL));
    struct rt_object *a = rt_lookup(rt, "a");
    cr_assert_eq(rt_getrefcount(rt, a), cpython_int("refcount_list"));
    rt_frame_push(rt, "f");
    rt_bind_arg(rt, "x", a);
    cr_assert_eq(rt_getrefcount(rt, rt_lookup(rt, "x")), cpython_int("refcount_in_function"));
    rt_frame_pop(rt);
    cr_assert_eq(rt_getrefcount(rt, a), cpython_int("refcount_after_call"));
    rt_bind(rt, "b", a);
    cr_assert_eq(rt_getrefcount(rt, a), cpython_int("refcount_second_name"));
    struct rt_object *two[] = {a, a};
    rt_bind_new(rt, "l", rt_list(rt, 2, two));
    cr_assert_eq(rt_getrefcount(rt, a), cpython_int("refcount_in_list_twice"));
    rt_unbind(rt, "l");
    cr_assert_eq(rt_getrefcount(rt, a), cpython_int("refcount_after_del_list"));
    const struct rt_type *C = plain_class("C");
    rt_bind_new(rt, "c", rt_instance(rt, C));
    rt_setattr(rt, rt_lookup(rt, "c"), "attr", a);
    cr_assert_eq(rt_getrefcount(rt, a), cpython_int("refcount_attribute"));
    rt_unbind(rt, "b");
    rt_unbind(rt, "c");
    cr_assert_eq(rt_getrefcount(rt, a), cpython_int("refcount_back"));
    cr_assert_eq(fold_refcnt(&fx.fold, a), rt_refcnt(a), "the events agree with the count");
    STEP();
    cr_assert_eq(rt_unbind(rt, "nope"), RT_EINVAL);
}

Test(refcount, identity_and_caches)
{
    struct rt_object *a = rt_int(rt, 123), *b = rt_int(rt, 123);
    cr_assert_eq(rt_is(a, b), cpython_int("is_small_int"));
    struct rt_object *x = rt_int(rt, 1000), *y = rt_int(rt, 1000);
    cr_assert_eq(rt_is(x, y), cpython_int("is_1000_runtime"));
    cr_assert_eq(rt_int_value(x) == rt_int_value(y), cpython_int("eq_1000_runtime"));
    const int64_t vals[] = {256, 257, -5, -6};
    const char *names[] = {"is_256_runtime", "is_257_runtime", "is_minus5_runtime",
                           "is_minus6_runtime"};
    for (int k = 0; k < 4; k++) {
        struct rt_object *p = rt_int(rt, vals[k]), *q = rt_int(rt, vals[k]);
        cr_assert_eq(rt_is(p, q), cpython_int(names[k]), "%s", names[k]);
        cr_assert_eq(rt_int_value(p), vals[k]);
        rt_decref(rt, p, EV_REF_TEMP, NULL);
        rt_decref(rt, q, EV_REF_TEMP, NULL);
    }
    struct rt_object *s1 = rt_str_literal(rt, "python"), *s2 = rt_str_literal(rt, "python");
    cr_assert_eq(rt_is(s1, s2), cpython_int("is_interned_literal"));
    struct rt_object *py = rt_str(rt, "py"), *thon = rt_str(rt, "thon");
    struct rt_object *s3 = rt_str_concat(rt, py, thon);
    cr_assert_eq(rt_is(s3, s1), cpython_int("is_joined"));
    s3 = rt_intern(rt, s3);
    cr_assert_eq(rt_is(s3, s1), cpython_int("is_intern_joined"));
    struct rt_object *big = rt_int(rt, -((int64_t)1 << 62));
    cr_assert_eq(rt_int_value(big), -((int64_t)1 << 62));
    cr_assert_eq(rt_sizeof(big), 24 + 4 * 3);
    STEP();
    struct rt_object *all[] = {a, b, x, y, s1, s2, py, thon, s3, big};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        rt_decref(rt, all[k], EV_REF_TEMP, NULL);
    STEP();
    cr_assert_eq(rt_counts(rt).live, 1, "only the interned literal 'python' is left");
}

Test(refcount, free_lists_reuse_ids_and_full_collections_clear_them)
{
    struct rt_object *f = rt_float(rt, 1.5);
    uint64_t id = rt_id(f);
    rt_decref(rt, f, EV_REF_TEMP, NULL);
    cr_assert_eq(rt_freelist_count(rt, "float"), 1);
    f = rt_float(rt, 2.5);
    cr_assert_eq(rt_id(f), id, "a float reuses the id of the last one freed");
    struct rt_object *items[] = {f, f};
    struct rt_object *t = rt_tuple(rt, 2, items);
    id = rt_id(t);
    rt_decref(rt, t, EV_REF_TEMP, NULL);
    cr_assert_eq(rt_freelist_count(rt, "tuple2"), 1);
    t = rt_tuple(rt, 2, items);
    cr_assert_eq(rt_id(t), id);
    struct rt_object *l = rt_list(rt, 0, NULL);
    id = rt_id(l);
    rt_decref(rt, l, EV_REF_TEMP, NULL);
    l = rt_list(rt, 0, NULL);
    cr_assert_eq(rt_id(l), id);
    struct rt_object *d = rt_dict(rt);
    rt_dict_set(rt, d, f, f); /* a float key: a general table */
    id = rt_id(d);
    rt_decref(rt, d, EV_REF_TEMP, NULL);
    d = rt_dict(rt);
    cr_assert_eq(rt_id(d), id);
    STEP();
    /* 100 lists: 80 go to the free list, the rest to the allocator */
    struct rt_object *many[100];
    for (int i = 0; i < 100; i++)
        many[i] = rt_list(rt, 0, NULL);
    for (int i = 0; i < 100; i++)
        rt_decref(rt, many[i], EV_REF_TEMP, NULL);
    cr_assert_eq(rt_freelist_count(rt, "list"), 80);
    struct heap_stats st;
    memset(&st, 0, sizeof st);
    rt_get_freelist_stats(rt, &st);
    cr_assert_eq(st.nfreelists, 23);
    cr_assert_str_eq(st.freelists[2].label, "PyListObjects");
    cr_assert_eq(st.freelists[2].count, 80);
    cr_assert_eq(st.freelists[2].each, 40);
    cr_assert_str_eq(st.freelists[4].label, "2-sized PyTupleObjects");
    gc_collect(rt, 1);
    cr_assert_eq(rt_freelist_count(rt, "list"), 80, "only a full collection clears them");
    gc_collect(rt, 2);
    cr_assert_eq(rt_freelist_count(rt, "list"), 0);
    cr_assert_eq(rt_freelist_count(rt, "float"), 0);
    STEP();
    rt_decref(rt, t, EV_REF_TEMP, NULL);
    rt_decref(rt, l, EV_REF_TEMP, NULL);
    rt_decref(rt, d, EV_REF_TEMP, NULL);
    rt_decref(rt, f, EV_REF_TEMP, NULL);
    STEP();
}

/* ---- the collector ------------------------------------------------------------------------------ */

TestSuite(collector, .init = setup, .fini = teardown);

Test(collector, cycles_are_found)
{
    gc_collect(rt, 2);
    struct rt_object *a = rt_list(rt, 0, NULL);
    rt_list_append(rt, a, a);
    rt_decref(rt, a, EV_REF_TEMP, NULL);
    STEP();
    cr_assert_eq(gc_collect(rt, 2), cpython_int("collect_self_list"));
    STEP();

    const struct rt_type *Node = plain_class("Node");
    rt_bind_new(rt, "mid", rt_instance(rt, Node));
    rt_bind_new(rt, "left", rt_instance(rt, Node));
    rt_bind_new(rt, "right", rt_instance(rt, Node));
    struct rt_object *mid = rt_lookup(rt, "mid"), *left = rt_lookup(rt, "left"),
                     *right = rt_lookup(rt, "right");
    rt_setattr(rt, mid, "left", left);
    rt_setattr(rt, mid, "right", right);
    rt_setattr(rt, left, "next", right);
    rt_setattr(rt, right, "prev", left);
    rt_unbind(rt, "mid");
    rt_unbind(rt, "left");
    rt_unbind(rt, "right");
    STEP();
    cr_assert_eq(gc_collect(rt, 2), cpython_int("collect_node_cycle"));

    const struct rt_type *Self = plain_class("Self");
    struct rt_object *s = rt_instance(rt, Self);
    rt_setattr(rt, s, "me", s);
    rt_decref(rt, s, EV_REF_TEMP, NULL);
    cr_assert_eq(gc_collect(rt, 2), cpython_int("collect_self_instance"));
    struct rt_object *d = rt_dict(rt), *key = rt_str_literal(rt, "self");
    rt_dict_set(rt, d, key, d);
    rt_decref(rt, d, EV_REF_TEMP, NULL);
    rt_decref(rt, key, EV_REF_TEMP, NULL);
    cr_assert_eq(gc_collect(rt, 2), cpython_int("collect_self_dict"));
    cr_assert_eq(gc_collect(rt, 2), cpython_int("collect_nothing"));
    cr_assert_eq(gc_collect(rt, 3), RT_EINVAL);
    cr_assert_eq(gc_collect(rt, -1), RT_EINVAL);
    STEP();
}

Test(collector, counts_and_promotion)
{
    gc_collect(rt, 2);
    struct rt_object *a = rt_list(rt, 0, NULL), *b = rt_list(rt, 0, NULL), *c = rt_list(rt, 0, NULL);
    counts_are("count_three_lists");
    gc_collect(rt, 0);
    counts_are("count_after_collect0");
    cr_assert_eq(gc_generation_size(rt, 1), 3, "the survivors were promoted");
    gc_collect(rt, 1);
    counts_are("count_after_collect1");
    cr_assert_eq(gc_generation_size(rt, 2), 3 + gc_startup_objects(rt, 2), "beside the interpreter's own");
    gc_collect(rt, 0);
    gc_collect(rt, 0);
    counts_are("count_after_two_collect0");
    gc_collect(rt, 2);
    counts_are("count_after_full");
    STEP();
    cr_assert_eq(gc_is_tracked(a), cpython_int("is_tracked_list"));
    struct rt_object *i = rt_int(rt, 1000);
    cr_assert_eq(gc_is_tracked(i), cpython_int("is_tracked_int"));
    struct rt_object *d = rt_dict(rt), *x = rt_str_literal(rt, "x"), *y = rt_str_literal(rt, "y");
    struct rt_object *one = rt_int(rt, 1);
    rt_dict_set(rt, d, x, one);
    cr_assert_eq(gc_is_tracked(d), cpython_int("is_tracked_dict_atoms"));
    rt_dict_set(rt, d, y, a);
    cr_assert_eq(gc_is_tracked(d), cpython_int("is_tracked_dict_list"));
    rt_dict_del(rt, d, y);
    cr_assert_eq(gc_is_tracked(d), cpython_int("is_tracked_dict_after_del"));
    gc_collect(rt, 2);
    cr_assert_eq(gc_is_tracked(d), cpython_int("is_tracked_dict_after_collect"));
    struct rt_object *k1 = rt_int(rt, 1000), *k2 = rt_int(rt, 2000);
    struct rt_object *pair[] = {k1, k2};
    struct rt_object *t = rt_tuple(rt, 2, pair);
    cr_assert_eq(gc_is_tracked(t), cpython_int("is_tracked_tuple_new"));
    gc_collect(rt, 2);
    cr_assert_eq(gc_is_tracked(t), cpython_int("is_tracked_tuple_after_collect"));
    STEP();
    struct rt_object *all[] = {a, b, c, i, d, x, y, one, k1, k2, t};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        rt_decref(rt, all[k], EV_REF_TEMP, NULL);
    STEP();
}

struct starts {
    int n, gen1, gen2;
};

static void count_starts(struct runtime *r, const char *phase, const struct gc_info *info,
                         void *ctx)
{
    (void)r;
    struct starts *s = ctx;
    if (strcmp(phase, "start") == 0) {
        s->n++;
        s->gen1 += info->generation == 1;
        s->gen2 += info->generation == 2;
    }
}

static int automatic_collections(uint32_t threshold0, struct starts *s)
{
    uint32_t th[3] = {threshold0, 10, 10};
    gc_set_threshold(rt, 3, th);
    gc_collect(rt, 2);
    memset(s, 0, sizeof *s);
    gc_callback_add(rt, count_starts, s);
    struct rt_object *keep = rt_list(rt, 0, NULL);
    for (int i = 0; i < 30000; i++) {
        struct rt_object *l = rt_list(rt, 0, NULL);
        rt_list_append(rt, keep, l);
        rt_decref(rt, l, EV_REF_TEMP, NULL);
    }
    gc_callback_remove(rt, count_starts, s);
    rt_decref(rt, keep, EV_REF_TEMP, NULL);
    gc_collect(rt, 2);
    return s->n;
}

Test(collector, automatic_collections_follow_the_thresholds)
{
    struct starts s;
    cr_assert_eq(automatic_collections(700, &s), cpython_int("auto_collections_30000"));
    cr_assert_eq(s.gen1, cpython_int("auto_gen1_collections_30000"));
    cr_assert_eq(s.gen2, 0, "the long-lived rule holds the full collections back");
    STEP();
    cr_assert_eq(automatic_collections(2000, &s), cpython_int("auto_collections_30000_t2000"));
    gc_disable(rt);
    cr_assert_eq(automatic_collections(700, &s), 0);
    cr_assert(!gc_isenabled(rt));
    gc_enable(rt);
    cr_assert_eq(automatic_collections(0, &s), 0, "threshold 0 disables automatic collection");
    STEP();
}

Test(collector, long_lived_rule_allows_a_full_collection)
{
    /* 11 gen-1 collections with survivors >= 25% of the last full collection's: a full one */
    gc_collect(rt, 2);
    struct starts s = {0};
    gc_callback_add(rt, count_starts, &s);
    struct rt_object *keep = rt_list(rt, 0, NULL);
    for (int i = 0; i < 100000 && s.gen2 == 0; i++) {
        struct rt_object *l = rt_list(rt, 0, NULL);
        rt_list_append(rt, keep, l);
        rt_decref(rt, l, EV_REF_TEMP, NULL);
    }
    gc_callback_remove(rt, count_starts, &s);
    cr_assert_eq(s.gen2, 1);
    cr_assert_eq(s.n, cpython_int("auto_collections_until_full"),
                 "11 times (11 of generation 0, then 1 of generation 1), then a full one");
    uint64_t pending, total;
    gc_get_long_lived(rt, &pending, &total);
    cr_assert_eq(pending, 0);
    cr_assert_gt(total, 7000);
    rt_decref(rt, keep, EV_REF_TEMP, NULL);
    STEP();
}

/* Each layout's runtime starts with its interpreter's own objects (allocator/gc_startup.py measured
 * them): counted in the oldest and the permanent generation, kept by every collection, and the
 * measure of the long-lived rule. */
Test(collector, interpreter_objects_of_each_version)
{
    for (size_t i = 0; rt_layout_at(i); i++) {
        const struct rt_layout *l = rt_layout_at(i);
        const struct gc_startup *s = gc_startup_find(l->name);
        cr_assert_not_null(s, "%s has no start-up population", l->name);
        struct rt_fixture other;
        fixture_open_layout(&other, NULL, l);
        struct runtime *r = other.rt;
        cr_assert_gt(s->oldest, 1000, "%s: thousands of objects", l->name);
        cr_assert_eq(gc_startup_objects(r, 2), s->oldest);
        cr_assert_eq(gc_startup_objects(r, 3), s->permanent);
        cr_assert_eq(gc_get_freeze_count(r), s->permanent);
        uint64_t pending, total;
        gc_get_long_lived(r, &pending, &total);
        cr_assert_eq(total, s->oldest, "%s: as after a first full collection", l->name);
        cr_assert_eq(gc_collect(r, 2), 0, "the interpreter's own objects are reachable");
        cr_assert_eq(gc_generation_size(r, 2), s->oldest);
        cr_assert_eq(gc_generation_size(r, 0) + gc_generation_size(r, 1), 0);
        fixture_close(&other);
    }
    cr_assert_null(gc_startup_find("cpython-1.5"));
}

Test(collector, move_unreachable_reverses_a_chain)
{
    gc_collect(rt, 2);
    /* A, B, C created in order, B -> A, C -> B, only C named: adjusted refs 0, 0, 1 */
    struct rt_object *A = rt_list(rt, 0, NULL);
    struct rt_object *B = rt_list(rt, 1, &A);
    struct rt_object *C = rt_list(rt, 1, &B);
    rt_decref(rt, A, EV_REF_TEMP, NULL);
    rt_decref(rt, B, EV_REF_TEMP, NULL);
    uint64_t marks_before = fx.fold.kinds[EV_GC_MARK];
    cr_assert_eq(gc_collect(rt, 0), 0);
    cr_assert_eq(fx.fold.kinds[EV_GC_MARK] - marks_before, 1 + 2 + 2,
                 "C reachable; A, B tentative; B, A rescued");
    struct rt_object *objs = gc_get_objects(rt, 1);
    cr_assert_eq(rt_len(objs), 3);
    cr_assert_eq(rt_item(objs, 0), C);
    cr_assert_eq(rt_item(objs, 1), B);
    cr_assert_eq(rt_item(objs, 2), A);
    rt_decref(rt, objs, EV_REF_TEMP, NULL);
    struct rt_object *referrers = gc_get_referrers(rt, A);
    cr_assert_eq(rt_len(referrers), 1);
    cr_assert_eq(rt_item(referrers, 0), B);
    struct rt_object *referents = gc_get_referents(rt, C);
    cr_assert_eq(rt_len(referents), 1);
    cr_assert_eq(rt_item(referents, 0), B);
    rt_decref(rt, referrers, EV_REF_TEMP, NULL);
    rt_decref(rt, referents, EV_REF_TEMP, NULL);
    rt_decref(rt, C, EV_REF_TEMP, NULL);
    STEP();
}

Test(collector, freeze_and_unfreeze)
{
    struct rt_object *a = rt_list(rt, 0, NULL);
    gc_collect(rt, 2);
    gc_freeze(rt);
    counts_are("freeze_counts");
    cr_assert_eq(gc_get_freeze_count(rt) > 0, cpython_int("freeze_count_positive"));
    cr_assert_eq(gc_generation_size(rt, 2), 0);
    cr_assert_eq(gc_startup_objects(rt, 2), 0, "the interpreter's own objects are frozen too");
    cr_assert_eq(gc_get_freeze_count(rt), 1 + gc_startup_objects(rt, 3));
    STEP();
    gc_unfreeze(rt);
    cr_assert_eq(gc_get_freeze_count(rt), (size_t)cpython_int("freeze_count_after_unfreeze"));
    cr_assert_eq(gc_startup_objects(rt, 3), 0);
    cr_assert_eq(gc_generation_size(rt, 2), 1 + gc_startup_objects(rt, 2));
    rt_decref(rt, a, EV_REF_TEMP, NULL);
    STEP();
}

struct weak_calls {
    int n;
};

static void on_weak(struct runtime *r, struct rt_object *arg, void *ctx)
{
    (void)r;
    (void)arg;
    ((struct weak_calls *)ctx)->n++;
}

Test(collector, weak_references)
{
    const struct rt_type *Node = plain_class("Node");
    struct rt_object *a = rt_instance(rt, Node);
    struct rt_object *r = rt_weakref(rt, a, NULL);
    struct rt_object *got = rt_weakref_get(rt, r);
    cr_assert_eq(got == a, cpython_int("weakref_alive"));
    rt_decref(rt, got, EV_REF_TEMP, NULL);
    cr_assert_eq(rt_getrefcount(rt, a), cpython_int("weakref_refcount"));
    struct rt_object *r2 = rt_weakref(rt, a, NULL);
    cr_assert_eq(r2 == r, cpython_int("weakref_same_ref"));
    rt_decref(rt, r2, EV_REF_TEMP, NULL);
    cr_assert_eq(rt_weakref_count(a), (size_t)cpython_int("weakref_count"));
    rt_decref(rt, a, EV_REF_TEMP, NULL);
    got = rt_weakref_get(rt, r);
    cr_assert_eq(rt_is_a(got, "NoneType"), cpython_int("weakref_dead"));
    rt_decref(rt, got, EV_REF_TEMP, NULL);
    STEP();

    struct weak_calls calls = {0};
    struct rt_object *cb = rt_function(rt, "callback", on_weak, &calls);
    struct rt_object *b = rt_instance(rt, Node);
    struct rt_object *rb = rt_weakref(rt, b, cb);
    rt_decref(rt, b, EV_REF_TEMP, NULL);
    cr_assert_eq(calls.n, cpython_int("weakref_callback_calls"));
    STEP();

    /* a cycle with a weakref to it from outside: the callback runs during the collection */
    struct rt_object *c = rt_instance(rt, Node);
    rt_setattr(rt, c, "me", c);
    struct rt_object *rc = rt_weakref(rt, c, cb);
    rt_decref(rt, c, EV_REF_TEMP, NULL);
    cr_assert_eq(gc_collect(rt, 2), 1);
    cr_assert_eq(calls.n, 2);
    cr_assert(!rt_weakref_is_alive(rc));
    STEP();

    const struct rt_type *Parent = plain_class("Parent"), *Child = plain_class("Child");
    rt_bind_new(rt, "p", rt_instance(rt, Parent));
    rt_bind_new(rt, "c", rt_instance(rt, Child));
    struct rt_object *p = rt_lookup(rt, "p"), *ch = rt_lookup(rt, "c");
    rt_setattr(rt, p, "child", ch);
    struct rt_object *proxy = rt_proxy(rt, p, NULL);
    rt_setattr(rt, ch, "parent", proxy);
    rt_decref(rt, proxy, EV_REF_TEMP, NULL);
    cr_assert_eq(rt_getrefcount(rt, p), cpython_int("proxy_refcount_parent"));
    cr_assert_eq(rt_getattr(rt, rt_getattr(rt, ch, "parent"), "child"), ch);
    rt_unbind(rt, "p");
    bool alive = rt_getattr(rt, rt_getattr(rt, ch, "parent"), "child") != NULL;
    cr_assert_eq(alive, cpython_int("proxy_after_del"));
    cr_assert_eq(gc_collect(rt, 2), cpython_int("proxy_collect"));
    rt_unbind(rt, "c");
    rt_decref(rt, r, EV_REF_TEMP, NULL);
    rt_decref(rt, rb, EV_REF_TEMP, NULL);
    rt_decref(rt, rc, EV_REF_TEMP, NULL);
    rt_decref(rt, cb, EV_REF_TEMP, NULL);
    STEP();
}

struct fin {
    int ran;
    struct rt_object *keep; /* where a resurrecting finalizer stores self */
};

static void del_count(struct runtime *r, struct rt_object *self, void *ctx)
{
    (void)r;
    (void)self;
    ((struct fin *)ctx)->ran++;
}

static void del_resurrect(struct runtime *r, struct rt_object *self, void *ctx)
{
    struct fin *f = ctx;
    f->ran++;
    rt_list_append(r, f->keep, self);
}

Test(collector, finalizers_pep442)
{
    gc_collect(rt, 2);
    struct fin fin = {0};
    struct rt_class_spec spec = {.name = "A", .del = del_count, .del_ctx = &fin};
    const struct rt_type *A = rt_class_new(rt, &spec);
    struct rt_object *a = rt_instance(rt, A);
    rt_setattr(rt, a, "me", a);
    rt_decref(rt, a, EV_REF_TEMP, NULL);
    cr_assert_eq(fin.ran, cpython_int("finalizer_before_collect"));
    cr_assert_eq(gc_collect(rt, 2), cpython_int("finalizer_collect"));
    cr_assert_eq(fin.ran, cpython_int("finalizer_ran"));
    cr_assert_eq(rt_len(gc_garbage(rt)), (size_t)cpython_int("finalizer_garbage"));
    STEP();

    struct fin res = {0};
    res.keep = rt_list(rt, 0, NULL);
    struct rt_class_spec rspec = {.name = "R", .del = del_resurrect, .del_ctx = &res};
    const struct rt_type *R = rt_class_new(rt, &rspec);
    struct rt_object *r = rt_instance(rt, R);
    rt_setattr(rt, r, "me", r);
    rt_decref(rt, r, EV_REF_TEMP, NULL);
    cr_assert_eq(gc_collect(rt, 2), cpython_int("resurrect_collect"));
    cr_assert_eq(rt_len(res.keep), (size_t)cpython_int("resurrect_kept"));
    cr_assert(gc_is_finalized(r));
    rt_list_clear(rt, res.keep);
    cr_assert_eq(gc_collect(rt, 2), cpython_int("resurrect_collect_again"));
    cr_assert_eq(res.ran, 1, "a finalizer runs at most once");
    /* without a cycle the finalizer runs from the deallocation */
    struct rt_object *lone = rt_instance(rt, A);
    rt_decref(rt, lone, EV_REF_TEMP, NULL);
    cr_assert_eq(fin.ran, 2);
    rt_decref(rt, res.keep, EV_REF_TEMP, NULL);
    STEP();
}

TestSuite(legacy, .init = NULL, .fini = NULL);

Test(legacy, cycles_with_del_go_to_gc_garbage)
{
    fixture_open(&fx, "legacy");
    rt = fx.rt;
    struct fin fin = {0};
    struct rt_class_spec spec = {.name = "A", .del = del_count, .del_ctx = &fin};
    const struct rt_type *A = rt_class_new(rt, &spec);
    struct rt_object *a = rt_instance(rt, A);
    struct rt_object *l = rt_list(rt, 0, NULL);
    rt_setattr(rt, a, "me", a);
    rt_setattr(rt, a, "stuff", l);
    rt_decref(rt, l, EV_REF_TEMP, NULL);
    rt_decref(rt, a, EV_REF_TEMP, NULL);
    fixture_check(&fx);
    /* the instance, its __dict__ and the list it reaches are uncollectable (2.7's layout: the
     * dict is an object of its own; test_layouts' collect_del_cycle has python2.7 say 3); only
     * the instance goes to garbage */
    cr_assert_str_eq(rt_get_layout(rt)->name, "cpython-2.7");
    cr_assert_eq(gc_collect(rt, 2), 3);
    cr_assert_eq(fin.ran, 0, "2.7 never runs __del__ in a cycle");
    struct rt_object *garbage = gc_garbage(rt);
    cr_assert_eq(rt_len(garbage), 1);
    cr_assert_eq(rt_item(garbage, 0), a);
    struct gc_gen_stats st[3];
    gc_get_stats(rt, st);
    cr_assert_eq(st[2].uncollectable, 3);
    fixture_check(&fx);
    /* without a cycle __del__ runs when the count drops to zero */
    struct rt_object *b = rt_instance(rt, A);
    rt_decref(rt, b, EV_REF_TEMP, NULL);
    cr_assert_eq(fin.ran, 1);
    fixture_close(&fx);
    cr_assert_eq(fin.ran, 1, "shutdown frees gc.garbage without calling the legacy __del__ again");
}

Test(collector, debug_output_has_cpythons_format)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    cr_assert_not_null(out);
    gc_set_debug_stream(rt, out);
    gc_set_debug(rt, GC_DEBUG_STATS | GC_DEBUG_COLLECTABLE);
    struct rt_object *a = rt_list(rt, 0, NULL);
    rt_list_append(rt, a, a);
    char expect[128];
    snprintf(expect, sizeof expect, "gc: collectable <list 0x%lx>\n", (unsigned long)rt_id(a));
    rt_decref(rt, a, EV_REF_TEMP, NULL);
    cr_assert_eq(gc_collect(rt, 2), 1);
    gc_set_debug(rt, 0);
    gc_set_debug_stream(rt, NULL);
    fclose(out);
    cr_assert(strncmp(text, "gc: collecting generation 2...\ngc: objects in each generation: ",
                      63) == 0,
              "%s", text);
    cr_assert_not_null(strstr(text, "\ngc: objects in permanent generation: 0\n"), "%s", text);
    cr_assert_not_null(strstr(text, expect), "%s", text);
    const char *done = strstr(text, "gc: done, 1 unreachable, 0 uncollectable, ");
    cr_assert_not_null(done, "%s", text);
    double secs;
    cr_assert_eq(sscanf(done, "gc: done, 1 unreachable, 0 uncollectable, %lfs elapsed", &secs), 1);
    free(text);

    gc_set_debug(rt, GC_DEBUG_SAVEALL);
    struct rt_object *b = rt_list(rt, 0, NULL);
    rt_list_append(rt, b, b);
    rt_decref(rt, b, EV_REF_TEMP, NULL);
    cr_assert_eq(gc_collect(rt, 2), 1);
    cr_assert_eq(rt_len(gc_garbage(rt)), 1, "DEBUG_SAVEALL keeps what it found");
    cr_assert_eq(rt_item(gc_garbage(rt), 0), b);
    gc_set_debug(rt, 0);
    rt_list_clear(rt, gc_garbage(rt));
    STEP();
}

Test(collector, copy_and_deepcopy)
{
    struct rt_object *ten = rt_int(rt, 10), *eleven = rt_int(rt, 11);
    struct rt_object *inner_items[] = {ten, eleven};
    struct rt_object *inner = rt_list(rt, 2, inner_items);
    struct rt_object *outer_items[] = {ten, ten, inner};
    struct rt_object *a = rt_list(rt, 3, outer_items);
    rt_decref(rt, inner, EV_REF_TEMP, NULL);
    struct rt_object *b = rt_copy(rt, a);
    cr_assert_eq(b == a, cpython_int("copy_is_outer"));
    cr_assert_eq(rt_item(b, 2) == rt_item(a, 2), cpython_int("copy_is_inner"));
    struct rt_object *c = rt_deepcopy(rt, a);
    cr_assert_eq(rt_item(c, 2) == rt_item(a, 2), cpython_int("deepcopy_is_inner"));
    cr_assert_eq(rt_item(c, 0) == rt_item(a, 0), cpython_int("deepcopy_is_int"));
    cr_assert_eq(rt_len(c) == 3 && rt_len(rt_item(c, 2)) == 2, cpython_int("deepcopy_eq"));
    cr_assert_eq(rt_getrefcount(rt, rt_item(a, 2)), cpython_int("copy_inner_refcount"));
    STEP();
    /* deepcopy keeps cycles and sharing */
    struct rt_object *cyc = rt_list(rt, 0, NULL);
    rt_list_append(rt, cyc, cyc);
    rt_list_append(rt, cyc, inner);
    rt_list_append(rt, cyc, inner);
    struct rt_object *cc = rt_deepcopy(rt, cyc);
    cr_assert_eq(rt_item(cc, 0), cc);
    cr_assert_eq(rt_item(cc, 1), rt_item(cc, 2));
    cr_assert_neq(rt_item(cc, 1), inner);
    struct rt_object *items[] = {ten, inner};
    struct rt_object *t = rt_tuple(rt, 2, items);
    struct rt_object *tc = rt_deepcopy(rt, t);
    cr_assert_neq(tc, t, "a tuple holding a list is copied");
    struct rt_object *atoms = rt_tuple(rt, 2, inner_items);
    struct rt_object *ac = rt_deepcopy(rt, atoms);
    cr_assert_eq(ac, atoms, "a tuple of atoms copies to itself");
    STEP();
    struct rt_object *all[] = {a, b, c, cyc, cc, t, tc, atoms, ac, ten, eleven};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        rt_decref(rt, all[k], EV_REF_TEMP, NULL);
    gc_collect(rt, 2);
    STEP();
}

/* ---- random object graphs ---------------------------------------------------------------------- */

TestSuite(random_graphs, .init = setup, .fini = teardown);

static uint64_t rng_state = 88172645463325252ull;
static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

/* Random objects linked at random, collected now and then, then all let go: everything is
 * freed, with the validators after every 500 rounds. */
static void random_graph_run(void)
{
    const struct rt_type *Node = plain_class("Node");
    struct fin fin = {0};
    struct rt_class_spec dspec = {.name = "Fin", .del = del_count, .del_ctx = &fin};
    const struct rt_type *Fin = rt_class_new(rt, &dspec);
    enum { NROOTS = 64 };
    struct rt_object *roots[NROOTS] = {0};
    const char *attrs[] = {"a", "b", "c"};
    for (int round = 0; round < 6000; round++) {
        int i = (int)rnd(NROOTS);
        struct rt_object *o = NULL;
        switch (rnd(10)) {
        case 0:
            o = rt_list(rt, 0, NULL);
            break;
        case 7:
            o = rnd(4) ? rt_set(rt) : rt_frozenset(rt, 0, NULL);
            break;
        case 1:
            o = rt_dict(rt);
            break;
        case 2:
            o = rt_instance(rt, rnd(4) ? Node : Fin);
            break;
        case 3:
            o = rt_int(rt, (int64_t)rnd(2000) - 500);
            break;
        case 4:
            o = rt_float(rt, rnd(100) / 4.0);
            break;
        case 5: {
            struct rt_object *items[3];
            size_t n = 0;
            for (int k = 0; k < 3; k++)
                if (roots[(i + k) % NROOTS])
                    items[n++] = roots[(i + k) % NROOTS];
            o = rt_tuple(rt, n, items);
            break;
        }
        case 6:
            if (roots[i] && roots[(i + 1) % NROOTS] && rt_supports_weakrefs(roots[i]))
                o = rt_weakref(rt, roots[i], NULL);
            break;
        default: {
            /* link two roots */
            struct rt_object *x = roots[i], *y = roots[rnd(NROOTS)];
            if (!x || !y)
                break;
            if (rt_is_a(x, "list"))
                rt_list_append(rt, x, y);
            else if (rt_is_a(x, "dict"))
                rt_dict_set(rt, x, y, x);
            else if (rt_is_a(x, "set"))
                rt_set_add(rt, x, y); /* RT_ETYPE for an unhashable y */
            else if (rt_type_of(x) == Node || rt_type_of(x) == Fin)
                rt_setattr(rt, x, attrs[rnd(3)], y);
            break;
        }
        }
        if (o) {
            rt_xdecref(rt, roots[i], EV_REF_TEMP, NULL);
            roots[i] = o;
        }
        if (rnd(100) == 0)
            gc_collect(rt, (int)rnd(3));
        if (round % 500 == 0)
            STEP();
    }
    for (int i = 0; i < NROOTS; i++)
        rt_xdecref(rt, roots[i], EV_REF_TEMP, NULL);
    gc_collect(rt, 2);
    STEP();
    /* but the attribute names, the code's interned constants, when they key a separate __dict__
     * (they live until the shutdown, which fixture_close checks) */
    struct rt_counts counts = rt_counts(rt);
    uint64_t names = counts.interned;
    cr_assert_eq(counts.live, names, "%lu objects still alive", (unsigned long)counts.live);
    struct heap_counters c;
    heap_inspect_counters(fx.heap, &c);
    cr_assert_eq(c.pool_blocks, names, "%lu blocks still allocated", (unsigned long)c.pool_blocks);
    cr_assert_eq(c.raw_blocks, 0);
    cr_assert_gt(fin.ran, 0);
}

Test(random_graphs, everything_is_freed)
{
    random_graph_run();
}

/* The same under each version's object layout (the collector of 3.x: 2.7's would keep the
 * cycles through __del__). */
ParameterizedTestParameters(random_graphs, everything_is_freed_in_every_layout)
{
    static size_t layouts[16];
    size_t n = 0;
    for (size_t i = 0; i < rt_layout_count() && n < 16; i++)
        layouts[n++] = i;
    return cr_make_param_array(size_t, layouts, n);
}

ParameterizedTest(size_t *i, random_graphs, everything_is_freed_in_every_layout)
{
    fixture_close(&fx); /* the suite's, with the default layout */
    fixture_open_layout(&fx, "cpython-3.8", rt_layout_at(*i));
    rt = fx.rt;
    cr_log_info("layout %s", rt_get_layout(rt)->name);
    random_graph_run();
}
