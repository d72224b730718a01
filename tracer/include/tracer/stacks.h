/*
 * stacks.h - call stacks interned into small ids, each defined once in the event stream.
 *
 * A recorder captures the frames of an allocation's caller and interns them here.  Stacks form
 * a tree: a stack is one frame on top of its parent stack (its callers), and its `stack_def`
 * carries that frame's id and the parent's id; each distinct frame's text is written once, in
 * a `frame_def` (allocator/event.h).  A stack is first known by its key, an array of words taken cheaply on every allocation: the return
 * addresses of a C stack (allocator/stack.h), or the (code object, instruction) pairs of a
 * Python stack (tracer/capture).  A key seen before costs one hash lookup.  A new key is turned
 * into text by the caller's describe function, and the text is interned frame by frame from the
 * outermost: the first time a frame is seen on a given parent it gets the next id (1, 2, ...)
 * and a `stack_def` event carrying the id, the depth, the parent and the frame's id goes to the
 * table's sink (after the frame's `frame_def` when the frame is new); a new key with known frames (another instruction of the same line) gets the
 * known id.  Events then carry the id (0 means no stack).
 *
 * Frames in the text are lines, innermost first: "function+0xoff" for C frames,
 * "FUNCTION\tFILE\tLINE" (tab-separated) for Python frames.
 *
 * Memory is libc's malloc, never the observed heap.  One thread at a time.
 */
#ifndef TRACER_STACKS_H
#define TRACER_STACKS_H

#include <allocator/event.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STACK_MAX_DEPTH 64 /* frames kept per stack; deeper stacks are cut */
/* The function of the one frame of the stack a real program's capture charges its own blocks to
 * ("<arenascope>\t\t0": no file, no line), defined among its first stacks (tracer/capture). */
#define STACK_TOOL_FUNCTION "<arenascope>"

struct codec_buf;
struct stack_table;

/* max_depth: frames kept per C stack, 1 to STACK_MAX_DEPTH.  Returns 0 or TRACE_ENOMEM. */
int stack_table_new(struct stack_table **out, size_t max_depth, const struct event_sink *sink);
void stack_table_free(struct stack_table *t);
void stack_table_set_sink(struct stack_table *t, const struct event_sink *sink);

/* The describe function of C stacks: each word a return address, symbolised (stack_symbolize),
 * a line each.  ctx is unused. */
uint32_t stack_describe_c(void *ctx, const uintptr_t *words, size_t n, struct codec_buf *text);

/* The id of the C stack frames[0 .. depth) (return addresses, innermost first), emitting its
 * stack_def on first sight.  0 when depth is 0 or memory ran out. */
uint64_t stack_table_intern(struct stack_table *t, void *const *frames, size_t depth);

/*
 * The id of the stack with key words[0 .. n).  On a key not seen before, describe() appends the
 * stack's frames as text to `text` (lines, innermost first) and returns their number (0: no
 * stack, the key then maps to id 0).  0 when n is 0 or memory ran out.
 */
typedef uint32_t (*stack_describe_fn)(void *ctx, const uintptr_t *words, size_t n,
                                      struct codec_buf *text);
uint64_t stack_table_intern_key(struct stack_table *t, const uintptr_t *words, size_t n,
                                stack_describe_fn describe, void *ctx);
/* The id of a stack given as text (frames a line, innermost first), emitting the stack_defs of
 * the stacks it is made of on first sight. */
uint64_t stack_table_intern_text(struct stack_table *t, const char *text, size_t len);
/*
 * The parts of interning, for a capture that builds stacks frame by frame: the id of a frame's
 * text (emitting its frame_def on first sight), the id of a frame on top of a parent stack
 * (emitting its stack_def), and the key cache (a key seen before, and recording one).
 */
uint64_t stack_table_frame(struct stack_table *t, const char *text, size_t len);
uint64_t stack_table_node(struct stack_table *t, uint64_t parent, uint64_t frame);
bool stack_table_key(struct stack_table *t, const uintptr_t *words, size_t n, uint64_t *id);
void stack_table_set_key(struct stack_table *t, const uintptr_t *words, size_t n, uint64_t id);

/* Forgets every key (what they stood for may have changed); ids and texts stay. */
void stack_table_forget_keys(struct stack_table *t);

/* Distinct stacks (nodes of the tree) interned so far, and keys known now. */
size_t stack_table_count(const struct stack_table *t);
size_t stack_table_key_count(const struct stack_table *t);

/* Writes one frame as text: "function+0x1f" when the address has a symbol, "libfoo.so+0x1234"
 * (the object and the offset in it) when not, "0x7f..." when the address is in no object.
 * Returns the length, truncating like snprintf. */
size_t stack_symbolize(const void *addr, char *buf, size_t len);

#endif
