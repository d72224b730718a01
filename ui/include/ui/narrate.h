/*
 * narrate.h - one plain sentence for each event, for the event log and the step-through.
 *
 * "free 0x7f0a3c004270: the block goes to the head of pool 7's free list; the pool was full, so
 * it returns to the front of class 3's ring".  The sentence is made from the event, the events
 * right after it (the event contract puts the effects of an allocation or a free just after
 * it: a pool becoming full, used again or empty, an arena released), and the model for names
 * (which pool and arena an address is in, an object's type).  The model may be at any position
 * near the event: names of pools and types do not change while they exist.
 *
 * The sentence for each kind is in one switch over every kind, so -Wswitch-enum names a kind
 * added to the table without a sentence.
 */
#ifndef UI_NARRATE_H
#define UI_NARRATE_H

#include <tracer/model.h>

#include <stddef.h>

/* Writes the sentence for ev into buf (always NUL-terminated); `next` holds the nnext events
 * that follow it.  Returns the sentence's length. */
size_t ui_narrate(const struct model *m, const struct event *ev, const struct event *next,
                  size_t nnext, char *buf, size_t len);

#endif
