/*
 * gc_list.h - the collector's doubly linked lists of GC heads (gc_list_* of CPython's
 * Python/gc.c), shared by allocator/gc.c and allocator/gc_incremental.c.  A list is a sentinel
 * head; the flags in an object's prev word survive every operation here.
 */
#ifndef ALLOCATOR_GC_LIST_H
#define ALLOCATOR_GC_LIST_H

#include "runtime_private.h"

static inline struct gc_head *gc_next(const struct gc_head *g)
{
    return (struct gc_head *)g->next;
}
static inline struct gc_head *gc_prev(const struct gc_head *g)
{
    return (struct gc_head *)(g->prev & ~GC_PREV_MASK_FLAGS);
}
static inline void gc_set_prev(struct gc_head *g, struct gc_head *p)
{
    g->prev = (g->prev & GC_PREV_MASK_FLAGS) | (uintptr_t)p;
}

static inline void list_init(struct gc_head *l)
{
    l->next = (uintptr_t)l;
    l->prev = (uintptr_t)l;
}

static inline bool list_is_empty(const struct gc_head *l)
{
    return l->next == (uintptr_t)l;
}

static inline void list_append(struct gc_head *node, struct gc_head *list)
{
    struct gc_head *last = (struct gc_head *)list->prev;
    gc_set_prev(node, last);
    last->next = (uintptr_t)node;
    list->prev = (uintptr_t)node;
    node->next = (uintptr_t)list;
}

static inline void list_move(struct gc_head *node, struct gc_head *list)
{
    struct gc_head *from_prev = gc_prev(node), *from_next = gc_next(node);
    from_prev->next = (uintptr_t)from_next;
    gc_set_prev(from_next, from_prev);
    list_append(node, list);
}

static inline void list_merge(struct gc_head *from, struct gc_head *to)
{
    if (list_is_empty(from))
        return;
    struct gc_head *to_tail = gc_prev(to), *from_head = gc_next(from), *from_tail = gc_prev(from);
    to_tail->next = (uintptr_t)from_head;
    gc_set_prev(from_head, to_tail);
    from_tail->next = (uintptr_t)to;
    gc_set_prev(to, from_tail);
    list_init(from);
}

static inline size_t list_size(const struct gc_head *l)
{
    size_t n = 0;
    for (const struct gc_head *g = gc_next(l); g != l; g = gc_next(g))
        n++;
    return n;
}

#endif
