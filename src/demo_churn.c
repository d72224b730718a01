/*
 * demo_churn.c - the churn workload: a long synthetic run for performance work.
 *
 * n operations on a table of 256 roots, chosen by a fixed-seed generator so that every run is
 * the same: create an object (list, dict, instance, int, float, str, tuple), link one root into
 * another (list append, dict item, attribute: cycles form freely), or drop a root.  The
 * collector runs when its thresholds say.  A step marker comes every tenth of the run; at the
 * end every root is dropped and a full collection frees the cycles that are left.
 */
#include "demos.h"

#include <inttypes.h>
#include <stdio.h>

enum { CHURN_ROOTS = 256 };

static uint64_t next_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static struct rt_object *churn_new(struct runtime *rt, const struct rt_type *Node, uint64_t r,
                                   struct rt_object **roots)
{
    char buf[32];
    switch (r % 8) {
    case 0:
    case 1:
        return rt_list(rt, 0, NULL);
    case 2:
        return rt_dict(rt);
    case 3:
        return rt_instance(rt, Node);
    case 4:
        return rt_int(rt, (int64_t)(r >> 8) % 100000);
    case 5:
        return rt_float(rt, (double)(r >> 8 & 0xffff) / 8.0);
    case 6:
        snprintf(buf, sizeof buf, "s%" PRIu64, (r >> 8) % 100000);
        return rt_str(rt, buf);
    default: {
        struct rt_object *items[2] = {roots[(r >> 8) % CHURN_ROOTS], roots[(r >> 16) % CHURN_ROOTS]};
        size_t n = (items[0] != NULL) + (items[1] != NULL);
        if (!items[0])
            items[0] = items[1];
        return rt_tuple(rt, n, items);
    }
    }
}

static void churn_link(struct runtime *rt, const struct rt_type *Node, struct rt_object *x,
                       struct rt_object *y, uint64_t r)
{
    static const char *const attrs[] = {"a", "b", "c", "d"};
    if (rt_is_a(x, "list")) {
        if (rt_len(x) < 64)
            rt_list_append(rt, x, y);
        else
            rt_list_set(rt, x, (intptr_t)(r % 64), y);
    } else if (rt_is_a(x, "dict")) {
        if (rt_dict_set(rt, x, y, x) < 0) { /* y unhashable: use an int key */
            struct rt_object *k = rt_int(rt, (int64_t)(r % 16));
            if (k) {
                rt_dict_set(rt, x, k, y);
                rt_decref(rt, k, EV_REF_TEMP, NULL);
            }
        }
    } else if (rt_type_of(x) == Node) {
        rt_setattr(rt, x, attrs[r % 4], y);
    }
}

void workload_churn(struct workload_env *env, uint64_t n)
{
    struct runtime *rt = env->rt;
    struct rt_class_spec spec = {.name = "Node"};
    const struct rt_type *Node = rt_class_new(rt, &spec);
    if (!Node)
        return;
    struct rt_object *roots[CHURN_ROOTS] = {0};
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    uint64_t tenth = n / 10 ? n / 10 : 1;
    char label[160];
    for (uint64_t op = 0; op < n; op++) {
        if (op % tenth == 0) {
            uint64_t last = op + tenth < n ? op + tenth : n;
            snprintf(label, sizeof label,
                     "Churn operations %" PRIu64 " to %" PRIu64 " of %" PRIu64
                     " create, link and drop objects at random while the collector runs when "
                     "its thresholds say.",
                     op + 1, last, n);
            workload_step(env, label);
        }
        uint64_t r = next_random(&seed);
        size_t i = (size_t)(r >> 40) % CHURN_ROOTS;
        switch (r % 10) {
        case 0:
        case 1:
        case 2:
        case 3: {
            struct rt_object *o = churn_new(rt, Node, r >> 4, roots);
            if (o) {
                rt_xdecref(rt, roots[i], EV_REF_TEMP, NULL);
                roots[i] = o;
            }
            break;
        }
        case 4:
        case 5:
        case 6: {
            struct rt_object *y = roots[(r >> 24) % CHURN_ROOTS];
            if (roots[i] && y)
                churn_link(rt, Node, roots[i], y, r >> 8);
            break;
        }
        default:
            rt_xdecref(rt, roots[i], EV_REF_TEMP, NULL);
            roots[i] = NULL;
            break;
        }
    }
    workload_step(env, "At the end of the churn every root is dropped and a full collection "
                       "frees the cycles that are left.");
    for (size_t i = 0; i < CHURN_ROOTS; i++)
        rt_xdecref(rt, roots[i], EV_REF_TEMP, NULL);
    demo_gc_collect(env);
    workload_print(env, "objects created: %" PRIu64 ", destroyed: %" PRIu64 "\n",
                   rt_counts(rt).created, rt_counts(rt).destroyed);
}
