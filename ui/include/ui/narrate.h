/*
 * narrate.h - one plain sentence for each event, for the event log and the step-through.
 *
 * "free 0x7f0a3c004270: the block goes to the head of pool 7's free list".  The sentence says
 * what the event did, from the event alone and the model for names (which pool and arena an
 * address is in, an object's type); what the events after it do, they say themselves ("pool 7 of
 * arena 0 was full and has a free block again: it goes back to the front of class 3's ring").
 * The model may be at any position near the event: names of pools and types do not change while
 * they exist.
 *
 * Every kind has a sentence: its row's in the event table (allocator/event.h), or a better one
 * of its own (narrate.c's sayers).
 */
#ifndef UI_NARRATE_H
#define UI_NARRATE_H

#include <tracer/model.h>

#include <stddef.h>

/* Writes the sentence for ev into buf (always NUL-terminated); m may be NULL.  Returns the
 * sentence's length. */
size_t ui_narrate(const struct model *m, const struct event *ev, char *buf, size_t len);

/* Why a collection of generation gen (of ngen) ran, in Python's words: "gc.collect(1)" for an
 * explicit collection of a younger generation, "gc.collect()" of the oldest; written into buf
 * (always NUL-terminated), which is returned. */
const char *ui_gc_reason(uint64_t reason, uint64_t gen, uint32_t ngen, char *buf, size_t len);

/* "an" before a word that starts with a vowel (an int, an object), "a" otherwise (a list). */
const char *ui_article(const char *word);

#endif
