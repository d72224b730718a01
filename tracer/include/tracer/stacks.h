/*
 * stacks.h - call stacks interned into small ids, each defined once in the event stream.
 *
 * A recorder captures the return addresses of an allocation's caller (allocator/stack.h) and
 * interns them here: the first time a stack is seen it gets the next id (1, 2, ...) and a
 * `stack_def` event carrying the id, the depth and the frames as text ("function+0xoff" lines,
 * innermost first) goes to the table's sink; every later occurrence costs a hash lookup and
 * returns the same id.  Events then carry the id (0 means no stack).
 *
 * Memory is libc's malloc, never the observed heap.  One thread at a time.
 */
#ifndef TRACER_STACKS_H
#define TRACER_STACKS_H

#include <allocator/event.h>

#include <stddef.h>
#include <stdint.h>

#define STACK_MAX_DEPTH 64 /* frames kept per stack; deeper stacks are cut */

struct stack_table;

/* max_depth: frames kept per stack, 1 to STACK_MAX_DEPTH.  Returns 0 or TRACE_ENOMEM. */
int stack_table_new(struct stack_table **out, size_t max_depth, const struct event_sink *sink);
void stack_table_free(struct stack_table *t);
void stack_table_set_sink(struct stack_table *t, const struct event_sink *sink);

/* The id of the stack frames[0 .. depth) (return addresses, innermost first), emitting its
 * stack_def on first sight.  0 when depth is 0 or memory ran out. */
uint64_t stack_table_intern(struct stack_table *t, void *const *frames, size_t depth);
/* Distinct stacks interned so far. */
size_t stack_table_count(const struct stack_table *t);

/* Writes one frame as text: "function+0x1f" when the address has a symbol, "libfoo.so+0x1234"
 * (the object and the offset in it) when not, "0x7f..." when the address is in no object.
 * Returns the length, truncating like snprintf. */
size_t stack_symbolize(const void *addr, char *buf, size_t len);

#endif
