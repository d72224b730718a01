/*
 * test_layouts.c - the runtime's object layouts (allocator/runtime_layout.c) against the real
 * interpreters: tests/runtime/layout_snippets.py is run by each installed python (2.7 to 3.13)
 * and every size it prints is compared with the same object built by the runtime under that
 * version's layout.  An interpreter that is not installed is reported; the test fails when none
 * is.  The expected values are only what the interpreters print.
 */
#include "pythons.h"
#include "rt_fixture.h"

#include <allocator/gc.h>
#include <allocator/heap.h>
#include <allocator/heap_inspect.h>
#include <allocator/runtime.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SNIPPETS SOURCE_ROOT "/tests/runtime/layout_snippets.py"

/* ---- what an interpreter says -------------------------------------------------------------- */

#define MAX_CASES 128

struct measured {
    char name[MAX_CASES][48];
    long value[MAX_CASES];
    size_t n;
};

static const long *measured_find(const struct measured *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->name[i], name) == 0)
            return &m->value[i];
    return NULL;
}

static void run_python(const char *python, struct measured *m)
{
    memset(m, 0, sizeof *m);
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' -S '%s' 2>&1", python, SNIPPETS);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p, "%s", cmd);
    char line[256];
    while (fgets(line, sizeof line, p) && m->n < MAX_CASES) {
        if (sscanf(line, "%47s %ld", m->name[m->n], &m->value[m->n]) == 2)
            m->n++;
        else
            cr_log_error("%s: unexpected line: %s", python, line);
    }
    int status = pclose(p);
    cr_assert_eq(status, 0, "%s %s failed (%d)", python, SNIPPETS, status);
    cr_assert_gt(m->n, 40, "%s printed %zu sizes", python, m->n);
}

/* The interpreter of a layout ("python3.8"): /usr/bin's, else pyenv's newest of that version. */
static bool find_python(const struct rt_layout *l, char *out, size_t len)
{
    snprintf(out, len, "/usr/bin/%s", l->python);
    if (access(out, X_OK) == 0)
        return true;
    return pythons_pyenv(l->python + strlen("python"), out, len);
}

/* ---- the same objects on the runtime ------------------------------------------------------- */

struct sizes {
    struct rt_fixture fx;
    struct runtime *rt;
    char name[MAX_CASES][48];
    long value[MAX_CASES];
    size_t n;
};

static void put(struct sizes *s, const char *name, long value)
{
    cr_assert_lt(s->n, MAX_CASES);
    snprintf(s->name[s->n], sizeof s->name[s->n], "%s", name);
    s->value[s->n++] = value;
}

/* Puts sys.getsizeof(o) under name and drops the reference. */
static void put_sizeof(struct sizes *s, const char *name, struct rt_object *o)
{
    cr_assert_not_null(o, "%s", name);
    put(s, name, (long)rt_sizeof(o));
    rt_decref(s->rt, o, EV_REF_TEMP, NULL);
}

static struct rt_object *appended(struct runtime *rt, int n)
{
    struct rt_object *l = rt_list(rt, 0, NULL);
    for (int i = 0; i < n; i++) {
        struct rt_object *v = rt_int(rt, i);
        cr_assert_eq(rt_list_append(rt, l, v), 0);
        rt_decref(rt, v, EV_REF_TEMP, NULL);
    }
    return l;
}

static struct rt_object *str_keys(struct runtime *rt, int n)
{
    struct rt_object *d = rt_dict(rt);
    for (int i = 0; i < n; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        struct rt_object *k = rt_str(rt, key), *v = rt_int(rt, i);
        cr_assert_eq(rt_dict_set(rt, d, k, v), 0);
        rt_decref(rt, k, EV_REF_TEMP, NULL);
        rt_decref(rt, v, EV_REF_TEMP, NULL);
    }
    return d;
}

static struct rt_object *added(struct runtime *rt, int n)
{
    struct rt_object *s = rt_set(rt);
    for (int i = 0; i < n; i++) {
        struct rt_object *v = rt_int(rt, i);
        cr_assert_eq(rt_set_add(rt, s, v), 0);
        rt_decref(rt, v, EV_REF_TEMP, NULL);
    }
    return s;
}

static struct rt_object *repeat(struct runtime *rt, const char *unit, int n)
{
    char buf[256] = "";
    for (int i = 0; i < n; i++)
        strcat(buf, unit);
    return rt_str(rt, buf);
}

static void setattr_new(struct runtime *rt, struct rt_object *o, const char *name, struct rt_object *v)
{
    cr_assert_eq(rt_setattr(rt, o, name, v), 0, "%s", name);
    rt_decref(rt, v, EV_REF_TEMP, NULL);
}

static void del_nothing(struct runtime *rt, struct rt_object *self, void *ctx)
{
    (void)rt, (void)self, (void)ctx;
}

/* layout_snippets.py, case by case, on the runtime. */
static void runtime_sizes(struct sizes *s)
{
    struct runtime *rt = s->rt;
    put_sizeof(s, "int_0", rt_int(rt, 0));
    put_sizeof(s, "int_1", rt_int(rt, 1));
    put_sizeof(s, "int_1000", rt_int(rt, 1000));
    put_sizeof(s, "int_2_30", rt_int(rt, (int64_t)1 << 30));
    put_sizeof(s, "int_2_60", rt_int(rt, (int64_t)1 << 60));
    put_sizeof(s, "int_minus_2_40", rt_int(rt, -((int64_t)1 << 40)));
    put_sizeof(s, "float", rt_float(rt, 1.5));
    put_sizeof(s, "str_empty", rt_str(rt, ""));
    put_sizeof(s, "str_a", rt_str(rt, "a"));
    put_sizeof(s, "str_e_acute", rt_str(rt, "é"));
    put_sizeof(s, "str_euro", rt_str(rt, "€"));
    put_sizeof(s, "str_emoji", rt_str(rt, "😀"));
    put_sizeof(s, "str_abc_20", repeat(rt, "abc", 20));
    put_sizeof(s, "str_e_acute_5", repeat(rt, "é", 5));
    put_sizeof(s, "str_euro_5", repeat(rt, "€", 5));
    put_sizeof(s, "str_emoji_5", repeat(rt, "😀", 5));
    put_sizeof(s, "str_mixed", rt_str(rt, "aé€😀"));
    put_sizeof(s, "tuple_0", rt_tuple(rt, 0, NULL));
    struct rt_object *one = rt_int(rt, 1), *two = rt_int(rt, 2), *three = rt_int(rt, 3);
    struct rt_object *items[] = {one, two, three};
    put_sizeof(s, "tuple_3", rt_tuple(rt, 3, items));
    put_sizeof(s, "list_0", rt_list(rt, 0, NULL));
    const int appends[] = {1, 5, 9, 17, 30, 100};
    for (size_t i = 0; i < sizeof appends / sizeof appends[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "list_appends_%d", appends[i]);
        put_sizeof(s, name, appended(rt, appends[i]));
    }
    put_sizeof(s, "dict_0", rt_dict(rt));
    put_sizeof(s, "dict_1", str_keys(rt, 1));
    struct rt_object *d = rt_dict(rt);
    cr_assert_eq(rt_dict_set(rt, d, one, one), 0);
    put_sizeof(s, "dict_1_int", d);
    const int keys[] = {5, 6, 10, 11, 22, 100};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "dict_%d", keys[i]);
        put_sizeof(s, name, str_keys(rt, keys[i]));
    }
    put_sizeof(s, "set_0", rt_set(rt));
    const int members[] = {1, 4, 5, 10, 19, 100};
    for (size_t i = 0; i < sizeof members / sizeof members[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "set_%d", members[i]);
        put_sizeof(s, name, added(rt, members[i]));
    }
    put_sizeof(s, "frozenset_0", rt_frozenset(rt, 0, NULL));
    put_sizeof(s, "frozenset_3", rt_frozenset(rt, 3, items));

    const struct rt_type *A = rt_class_new(rt, &(struct rt_class_spec){.name = "A"});
    const char *const slots[] = {"a", "b", NULL};
    const struct rt_type *S = rt_class_new(rt, &(struct rt_class_spec){.name = "S", .slots = slots});
    const struct rt_type *D = rt_class_new(rt, &(struct rt_class_spec){.name = "D", .del = del_nothing});
    struct rt_object *a = rt_instance(rt, A);
    put(s, "instance", (long)rt_sizeof(a));
    if (rt_get_layout(rt)->instance_dict == RT_INSTANCE_DICT_PLAIN ||
        rt_get_layout(rt)->instance_dict == RT_INSTANCE_DICT_SPLIT) {
        setattr_new(rt, a, "x", rt_int(rt, 1));
        cr_assert_not_null(rt_instance_dict(a));
        put(s, "instance_dict_1", (long)rt_sizeof(rt_instance_dict(a)));
        setattr_new(rt, a, "y", rt_int(rt, 2));
        setattr_new(rt, a, "z", rt_int(rt, 3));
        put(s, "instance_dict_3", (long)rt_sizeof(rt_instance_dict(a)));
        cr_assert_eq(rt_int_value(rt_getattr(rt, a, "y")), 2);
    } else {
        cr_assert_null(rt_instance_dict(a), "a managed dict is no separate object");
    }
    rt_decref(rt, a, EV_REF_TEMP, NULL);
    put_sizeof(s, "slots_2", rt_instance(rt, S));
    a = rt_instance(rt, A);
    put_sizeof(s, "weakref", rt_weakref(rt, a, NULL));
    put_sizeof(s, "proxy", rt_proxy(rt, a, NULL));
    rt_decref(rt, a, EV_REF_TEMP, NULL);
    put_sizeof(s, "function", rt_function(rt, "f", NULL, NULL));
    fixture_check(&s->fx);

    gc_collect(rt, 2);
    a = rt_instance(rt, A);
    cr_assert_eq(rt_setattr(rt, a, "me", a), 0);
    rt_decref(rt, a, EV_REF_TEMP, NULL);
    put(s, "collect_instance_cycle", (long)gc_collect(rt, 2));
    struct rt_object *dd = rt_instance(rt, D), *l = rt_list(rt, 0, NULL);
    cr_assert_eq(rt_setattr(rt, dd, "me", dd), 0);
    setattr_new(rt, dd, "stuff", l);
    rt_decref(rt, dd, EV_REF_TEMP, NULL);
    put(s, "collect_del_cycle", (long)gc_collect(rt, 2));
    rt_decref(rt, one, EV_REF_TEMP, NULL);
    rt_decref(rt, two, EV_REF_TEMP, NULL);
    rt_decref(rt, three, EV_REF_TEMP, NULL);
    fixture_check(&s->fx);
}

/* The collector's profile of a version: 2.7's rules for 2.7, 3.13's thresholds for 3.13. */
static const char *gc_profile_of(const struct rt_layout *l)
{
    if (strcmp(l->name, "cpython-2.7") == 0)
        return "legacy";
    return strcmp(l->name, "cpython-3.13") == 0 ? "cpython-3.13" : "cpython-3.8";
}

/* Compares one layout with its interpreter; appends the differences to `failures`. */
static size_t compare_layout(const struct rt_layout *l, const char *python, char *failures, size_t len)
{
    struct measured *m = calloc(1, sizeof *m);
    struct sizes *s = calloc(1, sizeof *s);
    cr_assert(m && s);
    run_python(python, m);
    fixture_open_layout(&s->fx, gc_profile_of(l), l);
    s->rt = s->fx.rt;
    cr_assert_str_eq(rt_get_layout(s->rt)->name, l->name);
    runtime_sizes(s);
    fixture_close(&s->fx);
    size_t compared = 0;
    for (size_t i = 0; i < m->n; i++) {
        const char *name = m->name[i];
        long got = -1;
        bool have = false;
        for (size_t j = 0; j < s->n; j++)
            if (strcmp(s->name[j], name) == 0) {
                got = s->value[j];
                have = true;
            }
        compared++;
        if (!have || got != m->value[i]) {
            size_t used = strlen(failures);
            snprintf(failures + used, len - used, "\n  %s %s: %s gives %ld, the runtime %s%ld", l->name, name,
                     python, m->value[i], have ? "" : "nothing, not ", got);
        }
    }
    /* what the runtime gives, the interpreter must have said */
    for (size_t j = 0; j < s->n; j++) {
        if (!measured_find(m, s->name[j])) {
            size_t used = strlen(failures);
            snprintf(failures + used, len - used, "\n  %s %s: the runtime gives %ld, %s says nothing", l->name,
                     s->name[j], s->value[j], python);
        }
    }
    free(m);
    free(s);
    return compared;
}

Test(layouts, sizes_match_each_installed_python, .timeout = 120)
{
    static char failures[16384];
    failures[0] = '\0';
    size_t checked = 0;
    for (size_t i = 0; i < rt_layout_count(); i++) {
        const struct rt_layout *l = rt_layout_at(i);
        char python[4096];
        if (!find_python(l, python, sizeof python)) {
            cr_log_warn("%s: no %s installed: this layout is not compared", l->name, l->python);
            continue;
        }
        size_t n = compare_layout(l, python, failures, sizeof failures);
        cr_log_info("%s: %zu sizes compared with %s", l->name, n, python);
        checked++;
    }
    cr_assert_gt(checked, 0, "no interpreter for any layout is installed");
    cr_assert(failures[0] == '\0', "the runtime and the interpreters differ:%s", failures);
}

Test(layouts, profiles_pick_their_versions)
{
    struct gc_profile gc;
    cr_assert_eq(gc_profile_parse("cpython-3.8", &gc, NULL, 0), 0);
    cr_assert_str_eq(rt_layout_for("cpython-3.10", &gc)->name, "cpython-3.11",
                     "the default profiles keep 3.11's objects");
    cr_assert_str_eq(rt_layout_for("classic", &gc)->name, "cpython-3.11");
    cr_assert_str_eq(rt_layout_for("cpython-3.8", &gc)->name, "cpython-3.8");
    cr_assert_str_eq(rt_layout_for("cpython-3.9", &gc)->name, "cpython-3.9");
    cr_assert_eq(gc_profile_parse("cpython-3.13", &gc, NULL, 0), 0);
    cr_assert_str_eq(rt_layout_for("cpython-3.10", &gc)->name, "cpython-3.13");
    cr_assert_eq(gc_profile_parse("legacy", &gc, NULL, 0), 0);
    cr_assert_str_eq(rt_layout_for("cpython-3.10", &gc)->name, "cpython-2.7");
    cr_assert_str_eq(rt_layout_for("cpython-3.8", &gc)->name, "cpython-2.7");
    cr_assert_eq(rt_layout_default(), rt_layout_find("cpython-3.11"));
    cr_assert_null(rt_layout_find("cpython-3.7"));
    for (size_t i = 0; i < rt_layout_count(); i++)
        cr_assert_eq(rt_layout_find(rt_layout_at(i)->name), rt_layout_at(i));
}

/* The collector profile the capture picks for an interpreter has that interpreter's generations
 * and thresholds: each installed python says its version and gc.get_threshold(). */
Test(layouts, gc_profiles_match_each_installed_python, .timeout = 60)
{
    size_t checked = 0;
    for (size_t i = 0; i < rt_layout_count(); i++) {
        const struct rt_layout *l = rt_layout_at(i);
        char python[4096], cmd[4400];
        if (!find_python(l, python, sizeof python))
            continue;
        snprintf(cmd, sizeof cmd,
                 "'%s' -S -c 'import sys, gc; v = sys.version_info; t = gc.get_threshold(); "
                 "print(\"%%d %%d %%d %%d %%d %%d %%d\" %% ((v[0], v[1], v[2], len(t)) + tuple(t)))'",
                 python);
        FILE *p = popen(cmd, "r");
        cr_assert_not_null(p);
        int major = 0, minor = 0, micro = 0, n = 0, t[3] = {0};
        int got = fscanf(p, "%d %d %d %d %d %d %d", &major, &minor, &micro, &n, &t[0], &t[1], &t[2]);
        cr_assert_eq(pclose(p), 0, "%s", cmd);
        cr_assert_eq(got, 7, "%s", cmd);
        const char *name = gc_profile_for_python(major, minor, micro);
        struct gc_profile gc;
        cr_assert_eq(gc_profile_parse(name, &gc, NULL, 0), 0, "%s", name);
        cr_assert_eq((int)gc.ngenerations, n, "%s for %d.%d.%d", name, major, minor, micro);
        for (int g = 0; g < n; g++)
            cr_assert_eq((int)gc.thresholds[g], t[g], "%s for %d.%d.%d: threshold %d is %u, %s says %d", name, major,
                         minor, micro, g, gc.thresholds[g], python, t[g]);
        cr_log_info("%d.%d.%d: %s", major, minor, micro, name);
        checked++;
    }
    cr_assert_gt(checked, 0, "no interpreter is installed");
}

/* No 3.14 is installed: the releases that ran the incremental collector are 3.14.0 to 3.14.4
 * (docs/cpython-memory.md 7.12); 3.14.5 went back to 3.13's collector. */
Test(layouts, the_incremental_profile_is_3_14_0_to_3_14_4)
{
    for (int micro = 0; micro <= 9; micro++)
        cr_assert_str_eq(gc_profile_for_python(3, 14, micro), micro <= 4 ? "cpython-3.14" : "cpython-3.13",
                         "3.14.%d", micro);
    cr_assert_str_eq(gc_profile_for_python(3, 13, 0), "cpython-3.13");
    cr_assert_str_eq(gc_profile_for_python(3, 15, 0), "cpython-3.13");
    cr_assert_str_eq(gc_profile_for_python(3, 12, 4), "cpython-3.8");
    cr_assert_str_eq(gc_profile_for_python(2, 7, 18), "legacy");
    struct gc_profile gc;
    cr_assert_eq(gc_profile_parse(gc_profile_for_python(3, 14, 0), &gc, NULL, 0), 0);
    cr_assert(gc.incremental);
}

/* ---- 2.7's ints: blocks of their own ---------------------------------------------------------- */

#define INT_SNIPPET                                                                                \
    "xs = range(1000, 1300)\n"                                                                     \
    "ids = [id(x) for x in xs]\n"                                                                  \
    "steps = [b - a for a, b in zip(ids, ids[1:])]\n"                                              \
    "stride = max(set(steps), key=steps.count)\n"                                                  \
    "best = run = 0\n"                                                                             \
    "for s in steps:\n"                                                                            \
    "    run = run + 1 if s == stride else 0\n"                                                    \
    "    best = max(best, run)\n"                                                                  \
    "print('stride %d' % stride)\n"                                                                \
    "print('per_block %d' % (best + 1))\n"

/* The step most common between the ids of consecutive ints, and the longest run of it plus one
 * (the ints of one block), as INT_SNIPPET computes them. */
static void int_strides(const long *ids, size_t n, long *stride, long *per_block)
{
    size_t best_count = 0;
    for (size_t i = 1; i < n; i++) {
        size_t count = 0;
        for (size_t k = 1; k < n; k++)
            count += ids[k] - ids[k - 1] == ids[i] - ids[i - 1];
        if (count > best_count) {
            best_count = count;
            *stride = ids[i] - ids[i - 1];
        }
    }
    long run = 0, best = 0;
    for (size_t i = 1; i < n; i++) {
        run = ids[i] - ids[i - 1] == *stride ? run + 1 : 0;
        best = run > best ? run : best;
    }
    *per_block = best + 1;
}

/* Under 2.7's layout 300 new ints follow one another as python2.7 lays them out: down a block
 * of 1000 bytes from malloc (never a pymalloc pool), one int apart, so many to a block; dead,
 * they stay on the int free list until a full collection frees their blocks. */
Test(layouts, ints_of_2_7_fill_blocks_as_python2_7_does, .timeout = 60)
{
    const struct rt_layout *l = rt_layout_find("cpython-2.7");
    cr_assert_not_null(l);
    char python[4096];
    if (!find_python(l, python, sizeof python))
        cr_skip_test("no %s installed: 2.7's int blocks are not compared", l->python);
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' -S -c \"$ARENASCOPE_SNIPPET\" 2>&1", python);
    setenv("ARENASCOPE_SNIPPET", INT_SNIPPET, 1);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    long real_stride = 0, real_per_block = 0;
    char line[256];
    while (fgets(line, sizeof line, p))
        if (sscanf(line, "stride %ld", &real_stride) != 1)
            sscanf(line, "per_block %ld", &real_per_block);
    cr_assert_eq(pclose(p), 0, "%s failed", python);
    cr_assert(real_stride != 0 && real_per_block > 1, "%s printed no stride", python);

    struct rt_fixture fx;
    fixture_open_layout(&fx, "legacy", l);
    struct heap_counters before, c;
    heap_inspect_counters(fx.heap, &before);
    static struct rt_object *ints[300];
    static long ids[300];
    for (size_t i = 0; i < 300; i++) {
        ints[i] = rt_int(fx.rt, 1000 + (int64_t)i);
        cr_assert_not_null(ints[i]);
        ids[i] = (long)rt_id(ints[i]);
        cr_assert_not(heap_owns(fx.heap, ints[i]), "an int of 2.7 is in no pool");
    }
    long stride = 0, per_block = 0;
    int_strides(ids, 300, &stride, &per_block);
    cr_assert_eq(stride, real_stride, "ints %ld bytes apart, %s says %ld", stride, python, real_stride);
    cr_assert_eq(per_block, real_per_block, "%ld ints a block, %s says %ld", per_block, python, real_per_block);
    heap_inspect_counters(fx.heap, &c);
    cr_assert_eq(c.pool_blocks, before.pool_blocks, "no pool block for an int");
    uint64_t blocks = (300 + (uint64_t)per_block - 1) / (uint64_t)per_block;
    cr_assert_eq(c.raw_domain_blocks - before.raw_domain_blocks, blocks);
    fixture_check(&fx);

    /* all but the first die onto the free list: every block stays */
    for (size_t i = 1; i < 300; i++)
        rt_decref(fx.rt, ints[i], EV_REF_TEMP, NULL);
    heap_inspect_counters(fx.heap, &c);
    cr_assert_eq(c.raw_domain_blocks - before.raw_domain_blocks, blocks, "dead ints keep their blocks");
    /* the next int is the one freed last */
    struct rt_object *again = rt_int(fx.rt, 5000);
    cr_assert_eq(again, ints[299]);
    rt_decref(fx.rt, again, EV_REF_TEMP, NULL);
    fixture_check(&fx);

    /* a full collection frees every block but the first int's */
    gc_collect(fx.rt, (int)gc_generation_count(fx.rt) - 1);
    heap_inspect_counters(fx.heap, &c);
    cr_assert_eq(c.raw_domain_blocks - before.raw_domain_blocks, 1);
    struct rt_object *reused = rt_int(fx.rt, 6000);
    cr_assert_not_null(reused);
    heap_inspect_counters(fx.heap, &c);
    cr_assert_eq(c.raw_domain_blocks, before.raw_domain_blocks + 1, "the kept block's free ints serve first");
    rt_decref(fx.rt, reused, EV_REF_TEMP, NULL);
    rt_decref(fx.rt, ints[0], EV_REF_TEMP, NULL);
    fixture_check(&fx);
    fixture_close(&fx);
}
