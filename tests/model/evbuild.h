/*
 * evbuild.h - building events by hand in the model's tests: one helper per kind, from the event
 * table, so that a test reads as the stream it feeds.
 */
#ifndef TESTS_MODEL_EVBUILD_H
#define TESTS_MODEL_EVBUILD_H

#include <allocator/event.h>
#include <tracer/trace.h>

#include <string.h>

/* A trace header for the cpython-3.10 layout (16-byte alignment, 16 KiB pools, 1 MiB arenas). */
static inline struct trace_header evb_header_310(void)
{
    struct trace_header h;
    memset(&h, 0, sizeof h);
    h.version = TRACE_FORMAT_VERSION;
    strcpy(h.profile, "cpython-3.10");
    strcpy(h.arena_source, "aligned");
    h.alignment = 16;
    h.threshold = 512;
    h.pool_size = 16384;
    h.arena_size = 1 << 20;
    h.pool_overhead = 48;
    h.pointer_size = 8;
    h.keep_last_free_arena = true;
    h.arena_map_bits = 64;
    strcpy(h.gc_profile, "cpython-3.8");
    h.ngenerations = 3;
    h.thresholds[0] = 700;
    h.thresholds[1] = 10;
    h.thresholds[2] = 10;
    return h;
}

static inline struct event evb_make(enum event_kind k, const uint64_t *f, size_t n, const char *s)
{
    struct event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = k;
    for (size_t i = 0; i < n && i < EVENT_MAX_FIELDS; i++)
        ev.u.f[i] = f[i];
    ev.str = s;
    ev.str_len = s ? (uint32_t)strlen(s) : 0;
    return ev;
}

/* EVB(KIND, s, f0, f1, ...): an event of that kind with word fields in table order. */
#define EVB(K, s, ...)                                                                            \
    evb_make(EV_##K, (const uint64_t[]){__VA_ARGS__},                                             \
             sizeof((const uint64_t[]){__VA_ARGS__}) / sizeof(uint64_t), s)

/* A tiny geometry for tests that fill pools and arenas: 16-byte alignment, 4 classes (16..64
 * bytes), 256-byte pools (13, 6, 4 and 3 blocks), 1 KiB arenas of 4 pools. */
static inline struct trace_header evb_header_tiny(void)
{
    struct trace_header h = evb_header_310();
    strcpy(h.profile, "custom");
    h.threshold = 64;
    h.pool_size = 256;
    h.arena_size = 1024;
    return h;
}

#endif
