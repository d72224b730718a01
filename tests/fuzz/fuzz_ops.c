/*
 * fuzz_ops.c - a libFuzzer target: any bytes as an allocation script (ops:PATH), parsed, then run
 * on a heap of the default profile with sizes the script gives (the run is what `record ops:...`
 * does, without a sink).  A script is refused with a message or runs; the heap is valid after
 * it and frees everything at the end.
 */
#include "fuzz.h"
#include "ops.h"

#include <allocator/heap.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ops_script s;
    char err[512];
    if (ops_script_parse(&s, "fuzz.ops", (const char *)data, size, err, sizeof err) != 0)
        return 0;
    struct heap_arena_source src = heap_arena_source_mmap();
    struct heap *h;
    if (heap_new(&h, heap_profile_at(0), &src, NULL) != 0)
        abort();
    struct ops_target t = {.heap = h};
    ops_script_run(&s, &t, true, err, sizeof err);
    if (!heap_is_valid(h, err, sizeof err)) {
        fprintf(stderr, "the heap is not valid after a script: %s\n", err);
        abort();
    }
    heap_delete(h);
    ops_script_release(&s);
    return 0;
}
