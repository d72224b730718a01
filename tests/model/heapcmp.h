/*
 * heapcmp.h - the model set against the program: a trace header for a live heap, and a
 * comparison of every arena, pool, ring, free list and raw block with heap_inspect.h.
 */
#ifndef TESTS_MODEL_HEAPCMP_H
#define TESTS_MODEL_HEAPCMP_H

#include <allocator/heap.h>
#include <allocator/heap_inspect.h>
#include <tracer/model.h>
#include <tracer/trace.h>

#include <stdbool.h>
#include <stddef.h>

/* The header a recording of a heap with this profile would carry. */
struct trace_header hc_header(const struct heap_profile *p, const char *source);

/* Compares the model with the heap; false with the first difference in err. */
bool hc_compare(const struct model *m, const struct heap *h, char *err, size_t errlen);

#endif
