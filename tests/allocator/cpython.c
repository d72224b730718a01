/*
 * cpython.c - see cpython.h.
 */
#include "cpython.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

const struct cpython_lib cpython_libs[] = {
    {"3.11-debian", "/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0", "cpython-3.10", false, 64},
    {"3.13.0", "/root/.pyenv/versions/3.13.0/lib/libpython3.13.so.1.0", "cpython-3.10", true, 64},
    {"3.12.1", "/root/.pyenv/versions/3.12.1/lib/libpython3.12.so.1.0", "cpython-3.10", true, 64},
    {"3.11.7", "/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0", "cpython-3.10", false, 64},
    {"3.10.13", "/root/.pyenv/versions/3.10.13/lib/libpython3.10.so.1.0", "cpython-3.10", false, 48},
    {"3.9.18", "/root/.pyenv/versions/3.9.18/lib/libpython3.9.so.1.0", "cpython-3.9", false, 0},
    {"3.8.18", "/root/.pyenv/versions/3.8.18/lib/libpython3.8.so.1.0", "cpython-3.8", false, 0},
    {"3.7.16", "/root/.pyenv/versions/3.7.16/lib/libpython3.7m.so.1.0", "cpython-3.8", false, 0},
    {"3.6.15", "/root/.pyenv/versions/3.6.15/lib/libpython3.6m.so.1.0", "cpython-3.8", false, 0},
};
const size_t cpython_nlibs = sizeof cpython_libs / sizeof cpython_libs[0];

const struct cpython_lib *cpython_lib_find(const char *label)
{
    for (size_t i = 0; i < cpython_nlibs; i++)
        if (strcmp(cpython_libs[i].label, label) == 0)
            return &cpython_libs[i];
    return NULL;
}

/* CPython's PyObjectArenaAllocator: ctx comes first. */
struct py_arena_allocator {
    void *ctx;
    void *(*alloc)(void *ctx, size_t size);
    void (*free)(void *ctx, void *ptr, size_t size);
};

static void *map_aligned(uintptr_t hint, size_t size)
{
    if (hint) {
        void *p = mmap((void *)hint, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return NULL;
        if ((uintptr_t)p != hint) {
            munmap(p, size);
            return NULL;
        }
        return p;
    }
    struct heap_arena_source aligned = heap_arena_source_aligned();
    return aligned.alloc(aligned.ctx, size);
}

/* Since 3.11 the interpreter also takes its frames' data-stack chunks from the arena allocator
 * (_PyObject_VirtualAlloc); only requests of arena_size bytes are arenas. */
static void *cpy_arena_alloc(void *ctx, size_t size)
{
    struct cpython *py = ctx;
    if (size != py->arena_size) {
        void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return p == MAP_FAILED ? NULL : p;
    }
    if (py->nlive == CPY_MAX_ARENAS)
        return NULL;
    void *p = map_aligned(py->region, size);
    if (!p)
        return NULL;
    if (py->region)
        py->region += size;
    py->bases[py->nlive] = (uintptr_t)p;
    py->serials[py->nlive] = py->nserial++;
    py->nlive++;
    return p;
}

static void cpy_arena_free(void *ctx, void *ptr, size_t size)
{
    struct cpython *py = ctx;
    for (size_t i = 0; i < py->nlive; i++)
        if (py->bases[i] == (uintptr_t)ptr) {
            py->bases[i] = py->bases[py->nlive - 1];
            py->serials[i] = py->serials[py->nlive - 1];
            py->nlive--;
            break;
        }
    munmap(ptr, size);
}

/* Stores the address of a symbol into a function pointer (ISO C has no cast between the two). */
static void load(void *dl, const char *name, void *fnptr, size_t size)
{
    void *sym = dlsym(dl, name);
    memcpy(fnptr, &sym, size);
}

static void say(char *why, size_t whylen, const char *a, const char *b)
{
    snprintf(why, whylen, "%s%s", a, b);
}

bool cpython_open(struct cpython *py, const char *path, const struct heap_profile *profile, uintptr_t region,
                  char *why, size_t whylen)
{
    memset(py, 0, sizeof *py);
    py->path = path;
    py->pool_size = profile->pool_size;
    py->arena_size = profile->arena_size;
    py->region = region;
    if (access(path, R_OK) != 0) {
        say(why, whylen, path, ": not installed on this machine");
        return false;
    }
    /* Nothing of the environment must reach the allocator (PYTHONMALLOCSTATS prints a report at
     * every new arena; PYTHONMALLOC would only matter after initialisation). */
    unsetenv("PYTHONMALLOC");
    unsetenv("PYTHONMALLOCSTATS");
    py->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!py->dl) {
        say(why, whylen, "dlopen: ", dlerror());
        return false;
    }
    void (*set_arena)(struct py_arena_allocator *) = NULL;
    const char *(*get_version)(void) = NULL;
    load(py->dl, "PyObject_SetArenaAllocator", &set_arena, sizeof set_arena);
    load(py->dl, "Py_GetVersion", &get_version, sizeof get_version);
    load(py->dl, "PyObject_Malloc", &py->malloc, sizeof py->malloc);
    load(py->dl, "PyObject_Calloc", &py->calloc, sizeof py->calloc);
    load(py->dl, "PyObject_Realloc", &py->realloc, sizeof py->realloc);
    load(py->dl, "PyObject_Free", &py->free, sizeof py->free);
    load(py->dl, "_PyObject_DebugMallocStats", &py->debug_malloc_stats, sizeof py->debug_malloc_stats);
    if (!set_arena || !get_version || !py->malloc || !py->calloc || !py->realloc || !py->free ||
        !py->debug_malloc_stats) {
        say(why, whylen, path, ": lacks PyObject_SetArenaAllocator or the PyObject_* allocator functions");
        return false;
    }
    snprintf(py->version, sizeof py->version, "%s", get_version());
    struct py_arena_allocator a = {py, cpy_arena_alloc, cpy_arena_free};
    set_arena(&a);
    return true;
}

void cpython_locate(const struct cpython *py, const void *p, struct heap_location *out)
{
    memset(out, 0, sizeof *out);
    uintptr_t a = (uintptr_t)p;
    for (size_t i = 0; i < py->nlive; i++)
        if (a - py->bases[i] < py->arena_size) {
            out->serial = py->serials[i];
            out->pool = (uint32_t)((a - py->bases[i]) / py->pool_size);
            out->offset = (uint32_t)(a & (py->pool_size - 1));
            return;
        }
    out->raw = true;
}

static void *region_alloc(void *ctx, size_t size)
{
    struct region_source *r = ctx;
    void *p = map_aligned(r->next, size);
    if (p)
        r->next += size;
    return p;
}

static void region_free(void *ctx, void *addr, size_t size)
{
    (void)ctx;
    munmap(addr, size);
}

struct heap_arena_source region_source(struct region_source *r)
{
    return (struct heap_arena_source){.alloc = region_alloc, .free = region_free, .ctx = r};
}

/* In the sanitizer build: what an interpreter that is never finalised keeps (thread locks and the
 * like, allocated inside libpython) is CPython's, not a leak of the code under test. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libpython\n";
}
