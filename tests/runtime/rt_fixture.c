#include "rt_fixture.h"

#include "cpython_numbers.h"

#include <allocator/errmsg.h>
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the fold --------------------------------------------------------------------------------- */

void fold_init(struct fold *f)
{
    memset(f, 0, sizeof *f);
    f->cap = 1u << 16;
    f->obj = calloc(f->cap, sizeof *f->obj);
    f->refcnt = calloc(f->cap, sizeof *f->refcnt);
    f->tracked = calloc(f->cap, sizeof *f->tracked);
    cr_assert(f->obj && f->refcnt && f->tracked);
}

void fold_release(struct fold *f)
{
    free(f->obj);
    free(f->refcnt);
    free(f->tracked);
}

static size_t slot_of(const struct fold *f, uint64_t a)
{
    size_t mask = f->cap - 1;
    size_t i = (size_t)(a >> 4) * 11400714819323198485ull >> 20 & mask;
    while (f->obj[i] && f->obj[i] != a)
        i = (i + 1) & mask;
    return i;
}

static void fold_grow(struct fold *f)
{
    struct fold g = *f;
    g.cap = f->cap * 2;
    g.obj = calloc(g.cap, sizeof *g.obj);
    g.refcnt = calloc(g.cap, sizeof *g.refcnt);
    g.tracked = calloc(g.cap, sizeof *g.tracked);
    cr_assert(g.obj && g.refcnt && g.tracked);
    for (size_t i = 0; i < f->cap; i++)
        if (f->obj[i]) {
            size_t j = slot_of(&g, f->obj[i]);
            g.obj[j] = f->obj[i];
            g.refcnt[j] = f->refcnt[i];
            g.tracked[j] = f->tracked[i];
        }
    fold_release(f);
    *f = g;
}

static void fold_remove(struct fold *f, size_t i)
{
    size_t mask = f->cap - 1;
    f->obj[i] = 0;
    f->n--;
    for (size_t j = (i + 1) & mask; f->obj[j]; j = (j + 1) & mask) {
        uint64_t a = f->obj[j];
        int64_t r = f->refcnt[j];
        bool t = f->tracked[j];
        f->obj[j] = 0;
        size_t k = slot_of(f, a);
        f->obj[k] = a;
        f->refcnt[k] = r;
        f->tracked[k] = t;
    }
}

static void disagree(struct fold *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void disagree(struct fold *f, const char *fmt, ...)
{
    if (f->error[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    errmsg_vformat(f->error, sizeof f->error, NULL, fmt, ap);
    va_end(ap);
    snprintf(f->error + strlen(f->error), sizeof f->error - strlen(f->error), " (event %" PRIu64 ")",
             f->events);
}

void fold_emit(void *ctx, const struct event *ev)
{
    struct fold *f = ctx;
    f->events++;
    f->kinds[ev->kind]++;
    if (ev->kind == EV_OBJ_NEW) {
        f->obj_new++;
        if ((f->n + 1) * 2 > f->cap)
            fold_grow(f);
        size_t i = slot_of(f, ev->u.obj_new.obj);
        if (f->obj[i])
            disagree(f, "obj_new of live object 0x%" PRIx64, ev->u.obj_new.obj);
        else
            f->n++;
        f->obj[i] = ev->u.obj_new.obj;
        f->refcnt[i] = (ev->u.obj_new.flags & EV_OBJ_STATIC) ? -2 : 1;
        f->tracked[i] = false;
    } else if (ev->kind == EV_OBJ_FREE) {
        f->obj_free++;
        size_t i = slot_of(f, ev->u.obj_free.obj);
        if (!f->obj[i])
            disagree(f, "obj_free of unknown object 0x%" PRIx64, ev->u.obj_free.obj);
        else if (f->refcnt[i] != 0)
            disagree(f, "obj_free of 0x%" PRIx64 " with count %" PRId64, ev->u.obj_free.obj,
                     f->refcnt[i]);
        else if (f->tracked[i])
            disagree(f, "obj_free of tracked 0x%" PRIx64, ev->u.obj_free.obj);
        else
            fold_remove(f, i);
    } else if (ev->kind == EV_INCREF || ev->kind == EV_DECREF) {
        bool inc = ev->kind == EV_INCREF;
        uint64_t a = inc ? ev->u.incref.obj : ev->u.decref.obj;
        int64_t now = (int64_t)(inc ? ev->u.incref.refcnt : ev->u.decref.refcnt);
        inc ? f->incref++ : f->decref++;
        size_t i = slot_of(f, a);
        if (!f->obj[i]) {
            disagree(f, "refcount change of unknown object 0x%" PRIx64 " to %" PRId64, a, now);
            return;
        }
        if (f->refcnt[i] == -2)
            return; /* static objects start with a huge count */
        int64_t want = f->refcnt[i] + (inc ? 1 : -1);
        if (now != want && !(inc && now == 1 && f->refcnt[i] == 0))
            disagree(f, "object 0x%" PRIx64 ": count %" PRId64 ", events say %" PRId64, a, now,
                     want);
        f->refcnt[i] = now;
    } else if (ev->kind == EV_GC_TRACK || ev->kind == EV_GC_UNTRACK) {
        uint64_t a = ev->kind == EV_GC_TRACK ? ev->u.gc_track.obj : ev->u.gc_untrack.obj;
        size_t i = slot_of(f, a);
        if (!f->obj[i]) {
            disagree(f, "gc_track/untrack of unknown object 0x%" PRIx64, a);
            return;
        }
        bool want = ev->kind == EV_GC_TRACK;
        if (f->tracked[i] == want)
            disagree(f, "object 0x%" PRIx64 " tracked twice or untracked twice", a);
        f->tracked[i] = want;
    } else if (ev->kind == EV_GC_START) {
        f->gc_start++;
    } else if (ev->kind == EV_GC_END) {
        f->gc_end++;
        f->last_collected = ev->u.gc_end.collected;
        f->last_uncollectable = ev->u.gc_end.uncollectable;
    } else if (ev->kind == EV_STEP) {
        f->steps++;
    }
}

int64_t fold_refcnt(const struct fold *f, const void *obj)
{
    size_t i = slot_of(f, (uint64_t)(uintptr_t)obj);
    return f->obj[i] ? f->refcnt[i] : -1;
}

/* ---- the fixture ------------------------------------------------------------------------------ */

void fixture_open(struct rt_fixture *fx, const char *gc_profile)
{
    fixture_open_layout(fx, gc_profile, NULL);
}

void fixture_open_layout(struct rt_fixture *fx, const char *gc_profile, const struct rt_layout *layout)
{
    memset(fx, 0, sizeof *fx);
    fold_init(&fx->fold);
    struct event_sink sink = {fold_emit, &fx->fold};
    struct heap_arena_source src = heap_arena_source_aligned();
    cr_assert_eq(heap_new(&fx->heap, heap_profile_at(0), &src, &sink), 0);
    struct gc_profile p;
    char err[160];
    cr_assert_eq(gc_profile_parse(gc_profile ? gc_profile : "cpython-3.8", &p, err, sizeof err),
                 0, "%s", err);
    cr_assert_eq(rt_new_layout(&fx->rt, fx->heap, &p, layout, &sink), 0);
}

void fixture_check(struct rt_fixture *fx)
{
    char err[256];
    cr_assert(heap_is_valid(fx->heap, err, sizeof err), "heap: %s", err);
    cr_assert(gc_is_valid(fx->rt, err, sizeof err), "%s", err);
    cr_assert_eq(fx->fold.error[0], '\0', "events: %s", fx->fold.error);
}

void fixture_close(struct rt_fixture *fx)
{
    fixture_check(fx);
    rt_delete(fx->rt);
    fx->rt = NULL;
    cr_assert_eq(fx->fold.error[0], '\0', "events: %s", fx->fold.error);
    /* after shutdown no object of the heap is alive in the events either */
    size_t heap_objects = 0;
    for (size_t i = 0; i < fx->fold.cap; i++)
        if (fx->fold.obj[i] && fx->fold.refcnt[i] != -2)
            heap_objects++;
    cr_assert_eq(heap_objects, 0, "%zu objects left alive after rt_delete", heap_objects);
    char err[256];
    cr_assert(heap_is_valid(fx->heap, err, sizeof err), "heap: %s", err);
    heap_delete(fx->heap);
    fold_release(&fx->fold);
}

/* ---- CPython's numbers ------------------------------------------------------------------------- */

static const struct {
    const char *name, *value;
} numbers[] = {
#define X(name, value) {#name, value},
    CPYTHON_NUMBERS(X)
#undef X
};

const char *cpython_number(const char *name)
{
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++)
        if (strcmp(numbers[i].name, name) == 0)
            return numbers[i].value;
    cr_assert_fail("no CPython number named %s", name);
    return NULL;
}

long cpython_int(const char *name)
{
    return strtol(cpython_number(name), NULL, 10);
}
