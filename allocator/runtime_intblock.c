/*
 * runtime_intblock.c - Python 2.7's ints: PyIntBlocks and the int free list (Objects/intobject.c
 * of 2.7, docs/cpython-memory.md 6.1).
 *
 * 2.7 never asks pymalloc for an int.  fill_free_list takes a block of 1000 bytes with
 * PyMem_MALLOC, which in 2.7 is the C library's malloc (heap_raw_malloc here): a link to the
 * previous block, then 41 ints of 24 bytes, threaded from the last to the first through their
 * ob_type into the free list.  PyInt_FromLong takes the head of that list; int_dealloc pushes
 * the int back, however long the list is.  So a block is never given back while it lives, except
 * by PyInt_ClearFreeList, which every collection of the oldest generation runs: a block none of
 * whose ints is alive goes back to malloc, the free ints of the others make a new free list.
 *
 *     int_blocks -> [next | int int int ... int]  -> [next | int ...]  -> NULL
 *     int_free   -> the int freed last -> ... -> NULL     (through each dead int's type field)
 */
#include "runtime_private.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define INT_BLOCK_SIZE 1000            /* 2.7's BLOCK_SIZE */
#define INT_BLOCK_HEAD sizeof(void *)  /* BHEAD_SIZE: the link to the next block */

static size_t ints_per_block(const struct runtime *rt)
{
    return (INT_BLOCK_SIZE - INT_BLOCK_HEAD) / rt->layout.int_basic; /* N_INTOBJECTS: 41 */
}

static struct rt_int *block_int(const struct runtime *rt, void *block, size_t i)
{
    return (struct rt_int *)((char *)block + INT_BLOCK_HEAD + i * rt->layout.int_basic);
}

static void *next_block(void *block)
{
    void *next;
    memcpy(&next, block, sizeof next);
    return next;
}

static void set_next_block(void *block, void *next)
{
    memcpy(block, &next, sizeof next);
}

/* The free chain runs through the type field of dead ints, as 2.7's does through ob_type. */
static struct rt_int *free_next(const struct rt_int *p)
{
    return (struct rt_int *)(uintptr_t)p->ob.type;
}

static void push_free(struct runtime *rt, struct rt_int *p)
{
    p->ob.refcnt = 0;
    p->ob.type = (const struct rt_type *)(uintptr_t)rt->int_free;
    rt->int_free = p;
    rt->int_nfree++;
}

static bool is_live_int(const struct runtime *rt, const struct rt_int *p)
{
    return p->ob.type == &rt->t_int && p->ob.refcnt != 0;
}

/* fill_free_list: a new block, its ints threaded from the last to the first. */
static bool fill_free_list(struct runtime *rt)
{
    void *block = heap_raw_malloc(rt->heap, INT_BLOCK_SIZE);
    if (!block)
        return false;
    set_next_block(block, rt->int_blocks);
    rt->int_blocks = block;
    rt->int_free = NULL;
    for (size_t i = 0; i < ints_per_block(rt); i++)
        push_free(rt, block_int(rt, block, i));
    return true;
}

struct rt_int *rt_int27_take(struct runtime *rt)
{
    if (!rt->int_free && !fill_free_list(rt))
        return NULL;
    struct rt_int *p = rt->int_free;
    rt->int_free = free_next(p);
    rt->int_nfree--;
    rt_freelist_changed(rt, RT_FL_INT);
    return p;
}

void rt_int27_keep(struct runtime *rt, struct rt_object *o)
{
    RT_EMIT(rt, OBJ_FREE, obj_free, .obj = rt_addr(o), .flags = EV_OBJ_FREELIST);
    push_free(rt, (struct rt_int *)(uintptr_t)o);
    rt_freelist_changed(rt, RT_FL_INT);
}

void rt_int27_clear(struct runtime *rt)
{
    void *list = rt->int_blocks;
    rt->int_blocks = NULL;
    rt->int_free = NULL;
    uint32_t had = rt->int_nfree;
    rt->int_nfree = 0;
    size_t n = ints_per_block(rt);
    while (list) {
        void *next = next_block(list);
        size_t live = 0;
        for (size_t i = 0; i < n; i++)
            live += is_live_int(rt, block_int(rt, list, i));
        if (live) {
            set_next_block(list, rt->int_blocks);
            rt->int_blocks = list;
            for (size_t i = 0; i < n; i++)
                if (!is_live_int(rt, block_int(rt, list, i)))
                    push_free(rt, block_int(rt, list, i));
        } else {
            heap_raw_free(rt->heap, list);
        }
        list = next;
    }
    if (rt->int_nfree != had)
        rt_freelist_changed(rt, RT_FL_INT);
}
