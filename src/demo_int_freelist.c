/*
 * demo_int_freelist.c - the demo about where a dead int's memory goes (docs/cpython-memory.md
 * 6.1).  Under the `legacy` collector profile the runtime has Python 2.7's objects, whose ints
 * live in blocks of 1000 bytes taken from malloc, 41 to a block, and die onto an int free list
 * that never gives them back, until a full collection frees the blocks with no live int
 * (allocator/runtime_intblock.c).  Under the 3.x profiles an int is a pymalloc block like any
 * other object and goes back to its pool at once: 3.x keeps no int free list before 3.14.  The
 * source prints the same lines in both (an id reused, the list's length, what gc.collect()
 * found); the difference is in the heap, which the narration reads from the runtime.
 */
#include "demos.h"

void demo_run_int_freelist(struct workload_env *env)
{
    struct runtime *rt = env->rt;
    const struct rt_layout *lay = rt_get_layout(rt);
    const struct heap_profile *p = heap_profile(env->heap);
    bool py2 = lay->int_fixed;
    uint32_t size = py2 ? lay->int_basic : lay->int_basic + 4; /* one 30-bit digit */
    uint32_t per_block = (1000 - 8) / lay->int_basic;           /* 2.7's N_INTOBJECTS */
    uint32_t block = heap_profile_class_size(p, (size - 1) / p->alignment);

    if (py2)
        demo_step_f(env, "a = int(\"1000\")",
                    "Python 2.7 never asks pymalloc for an int: int('1000') takes one off the int free "
                    "list, which it fills with a block of 1000 bytes from malloc holding %u ints.",
                    per_block);
    else
        demo_step_f(env, "a = int(\"1000\")",
                    "In Python 3 an int is an object like any other: int('1000') needs %u bytes and takes "
                    "a %u-byte block from a pymalloc pool.",
                    size, block);
    demo_set_int(env, "a", 1000);
    uint64_t before = demo_id(env, "a");

    workload_step_at(env, "del a",
                     py2 ? "del a puts the int at the front of the int free list, chained through its "
                           "type field: its memory goes back neither to pymalloc nor to malloc."
                         : "del a gives the int's block straight back to the front of its pool's free "
                           "list: 3.x keeps no int free list (3.14 brings one back).");
    demo_del(env, "a");

    workload_step_at(env, "b = int(\"2000\")",
                     py2 ? "b = int('2000') takes the int a left at the head of the free list: the same "
                           "address, so the same id()."
                         : "b = int('2000') gets the block a gave back, last in, first out: the same "
                           "address, so the same id().");
    demo_int_reuse(env, "b", 2000, "id(b) == id(a)", before);

    if (py2)
        demo_step_f(env, "nums = list(range(1000, 1100))",
                    "list(range(1000, 1100)) makes 100 ints: the free list runs dry and is filled again "
                    "from malloc, one block of %u ints at a time.",
                    per_block);
    else
        demo_step_f(env, "nums = list(range(1000, 1100))",
                    "list(range(1000, 1100)) makes 100 ints, 100 more %u-byte blocks from the pools.", block);
    demo_set(env, "nums", demo_int_list(env, 1000, 100));
    if (demo_get(env, "nums"))
        workload_print(env, "len(nums) -> %zu\n", rt_len(demo_get(env, "nums")));

    workload_step_at(env, "del nums",
                     py2 ? "del nums kills the 100 ints, and all of them go onto the free list: the blocks "
                           "stay, which is why a Python 2 process that once made millions of ints kept "
                           "their memory."
                         : "del nums kills the 100 ints and each block goes back to its pool at once, "
                           "ready for any object of its size class.");
    demo_del(env, "nums");

    workload_step_at(env, "print(\"gc.collect() ->\", gc.collect())",
                     py2 ? "A full collection empties the free lists: PyInt_ClearFreeList gives back to "
                           "malloc every block with no live int, and keeps the one b lives in."
                         : "A full collection empties the free lists of floats, tuples, lists and dicts; "
                           "ints have none, their blocks are back in their pools already.");
    demo_gc_collect(env);

    workload_step_at(env, "del b",
                     py2 ? "del b puts the last int on the free list: its block stays until the next "
                           "full collection or the end of the program."
                         : "del b gives the last block back to its pool.");
    demo_del(env, "b");
}
