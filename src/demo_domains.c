/*
 * demo_domains.c - the demo about the three families of allocation functions: PyMem_Raw*,
 * PyMem_* and PyObject_*, their domains (RAW, MEM, OBJ) and which allocator serves each in the
 * version of the heap's profile (docs/cpython-memory.md 5.1).
 *
 * RAW is the C library's malloc in every version.  OBJ is pymalloc.  MEM was malloc too until
 * 3.5 and has been pymalloc since 3.6 (bpo-26249): under the `classic` profile (2.7's geometry)
 * PyMem_Malloc goes to the C library, under the cpython-3.x profiles to pymalloc's pools.  What
 * the demo prints is sys.getallocatedblocks()'s growth, which counts the object allocator's
 * blocks (its pool blocks and the large requests it passes on to malloc) and never the raw
 * domain's; the source measures it through ctypes, subtracting what the measuring itself costs.
 */
#include "demos.h"

#include <allocator/heap_inspect.h>

#include <stdlib.h>
#include <string.h>

/* Before 3.6 (here: the classic profile, 2.7's geometry) PyMem_Malloc is malloc itself. */
static bool mem_is_malloc(const struct heap_profile *p)
{
    return strcmp(p->name, "classic") == 0;
}

/* The Python version a profile stands for, as the narration names it. */
static const char *profile_version(const struct heap_profile *p)
{
    if (mem_is_malloc(p))
        return "2.7";
    if (strncmp(p->name, "cpython-", 8) == 0)
        return p->name + 8;
    return "3.10"; /* a custom profile takes 3.10's values for what it leaves out */
}

enum family { FAMILY_RAW, FAMILY_MEM, FAMILY_OBJ };

static void *family_malloc(struct workload_env *env, enum family f, size_t n)
{
    if (f == FAMILY_RAW || (f == FAMILY_MEM && mem_is_malloc(heap_profile(env->heap))))
        return heap_raw_malloc(env->heap, n);
    return heap_malloc(env->heap, n);
}

static void family_free(struct workload_env *env, enum family f, void *p)
{
    if (f == FAMILY_RAW || (f == FAMILY_MEM && mem_is_malloc(heap_profile(env->heap))))
        heap_raw_free(env->heap, p);
    else
        heap_free(env->heap, p);
}

/* x, blocks = pymalloc_blocks(api.FAMILYMalloc, n); print(...) */
static void *measured(struct workload_env *env, enum family f, const char *name, size_t n)
{
    uint64_t before = heap_allocated_blocks(env->heap);
    void *p = family_malloc(env, f, n);
    if (!p) {
        workload_print(env, "MemoryError\n");
        return NULL;
    }
    workload_print(env, "%s(%zu) -> sys.getallocatedblocks() grew by %lld\n", name, n,
                   (long long)(heap_allocated_blocks(env->heap) - before));
    return p;
}

void demo_run_domains(struct workload_env *env)
{
    const struct heap_profile *p = heap_profile(env->heap);
    const char *v = profile_version(p);
    uint32_t block = heap_profile_class_size(p, 31 / p->alignment);

    demo_step_f(env, "p, own = pymalloc_blocks(libc.malloc, 32)",
                "C code asks for memory through three families, PyMem_RawMalloc, PyMem_Malloc and "
                "PyObject_Malloc, the RAW, MEM and OBJ domains; the profile %s is Python %s's.",
                p->name, v);
    gc_disable(env->rt);
    for (int warm = 0; warm < 2; warm++) {
        void *libc = malloc(32);
        free(libc);
    }

    demo_step_f(env, "raw, blocks = pymalloc_blocks(api.PyMem_RawMalloc, 32)",
                "PyMem_RawMalloc(32) is the RAW domain: the C library's malloc in every version, "
                "safe without the GIL, and not counted by sys.getallocatedblocks().");
    void *raw = measured(env, FAMILY_RAW, "PyMem_RawMalloc", 32);

    if (mem_is_malloc(p))
        demo_step_f(env, "mem, blocks = pymalloc_blocks(api.PyMem_Malloc, 32)",
                    "In Python %s PyMem_Malloc(32) is malloc itself, as the course's PyMem_MALLOC macro "
                    "shows; only from 3.6 does the MEM domain use pymalloc's pools.",
                    v);
    else
        demo_step_f(env, "mem, blocks = pymalloc_blocks(api.PyMem_Malloc, 32)",
                    "PyMem_Malloc(32) is the MEM domain: plain malloc up to 3.5, but pymalloc since 3.6, "
                    "so in Python %s it takes a %u-byte block from a pool.",
                    v, block);
    void *mem = measured(env, FAMILY_MEM, "PyMem_Malloc", 32);

    demo_step_f(env, "obj, blocks = pymalloc_blocks(api.PyObject_Malloc, 32)",
                mem_is_malloc(p) ? "PyObject_Malloc(32) is the OBJ domain, pymalloc in every version: only "
                                   "this family takes a %u-byte block from a pool here."
                                 : "PyObject_Malloc(32) is the OBJ domain, pymalloc in every version: it "
                                   "takes another %u-byte block of the same pool as PyMem_Malloc's.",
                block);
    void *obj = measured(env, FAMILY_OBJ, "PyObject_Malloc", 32);

    if (mem_is_malloc(p))
        demo_step_f(env, "big, blocks = pymalloc_blocks(api.PyMem_Malloc, 600)",
                    "PyMem_Malloc(600) is malloc again in Python %s, outside pymalloc and its count.", v);
    else
        demo_step_f(env, "big, blocks = pymalloc_blocks(api.PyMem_Malloc, 600)",
                    "600 bytes is more than the %u-byte limit: pymalloc passes the request to malloc, "
                    "yet counts the block as one of its own.",
                    p->threshold);
    void *big = measured(env, FAMILY_MEM, "PyMem_Malloc", 600);

    workload_step_at(env, "api.PyMem_Free(big)",
                     "Each block goes back through the family that gave it, PyMem_Free, PyObject_Free or "
                     "PyMem_RawFree: mixing them is undefined, and the debug hooks catch it.");
    if (big)
        family_free(env, FAMILY_MEM, big);
    if (obj)
        family_free(env, FAMILY_OBJ, obj);
    if (mem)
        family_free(env, FAMILY_MEM, mem);
    if (raw)
        family_free(env, FAMILY_RAW, raw);
    workload_print(env, "PyMem_RawFree, PyMem_Free, PyObject_Free: each block back to its own family\n");
    gc_enable(env->rt);
}
