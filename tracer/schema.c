/*
 * schema.c - the event table as data: kind names, field names and types, for the encoder's
 * schema, dump and the UI.  Every array is generated from EVENT_KINDS (allocator/event.h).
 */
#include <tracer/trace.h>

#include <string.h>

#define X(K, n, fl, tail, fields) [EV_##K] = #n,
static const char *const kind_names[EV_KIND_COUNT] = {EVENT_KINDS(X)};
#undef X

#define EVENT__NAME_u(n) #n,
#define EVENT__NAME_i(n) #n,
#define EVENT__NAME_a(n) #n,
#define EVENT__NAME_p(n) #n,
#define EVENT__NAME_s(n)
#define EV_FIELD(t, n) EVENT__NAME_##t(n)
#define X(K, n, fl, tail, fields) [EV_##K] = {fields},
static const char *const field_names[EV_KIND_COUNT][EVENT_MAX_FIELDS] = {EVENT_KINDS(X)};
#undef X
#undef EV_FIELD

#define EVENT__TYPE_u(n) 'u',
#define EVENT__TYPE_i(n) 'i',
#define EVENT__TYPE_a(n) 'a',
#define EVENT__TYPE_p(n) 'p',
#define EVENT__TYPE_s(n)
#define EV_FIELD(t, n) EVENT__TYPE_##t(n)
#define X(K, n, fl, tail, fields) [EV_##K] = {fields},
static const char field_types[EV_KIND_COUNT][EVENT_MAX_FIELDS] = {EVENT_KINDS(X)};
#undef X
#undef EV_FIELD

#define EVENT__TEXT_u(n)
#define EVENT__TEXT_i(n)
#define EVENT__TEXT_a(n)
#define EVENT__TEXT_p(n)
#define EVENT__TEXT_s(n) #n
#define EV_FIELD(t, n) EVENT__TEXT_##t(n)
#define X(K, n, fl, tail, fields) [EV_##K] = "" fields,
static const char *const text_names[EV_KIND_COUNT] = {EVENT_KINDS(X)};
#undef X
#undef EV_FIELD

const char *event_kind_name(enum event_kind k)
{
    return (unsigned)k < EV_KIND_COUNT ? kind_names[k] : "?";
}

int event_kind_from_name(const char *name)
{
    for (int k = 0; k < EV_KIND_COUNT; k++)
        if (strcmp(kind_names[k], name) == 0)
            return k;
    return -1;
}

size_t event_kind_field_count(enum event_kind k)
{
    size_t n = 0;
    while (n < EVENT_MAX_FIELDS && field_types[k][n])
        n++;
    return n;
}

const char *event_kind_field_name(enum event_kind k, size_t i)
{
    return i < EVENT_MAX_FIELDS ? field_names[k][i] : NULL;
}

char event_kind_field_type(enum event_kind k, size_t i)
{
    return i < EVENT_MAX_FIELDS ? field_types[k][i] : 0;
}

const char *event_kind_text_name(enum event_kind k)
{
    return text_names[k][0] ? text_names[k] : NULL;
}
