/*
 * schema.c - the event table as data: kind names, field names and types, for the encoder's
 * schema, dump and the UI.  Every array is generated from EVENT_KINDS (allocator/event.h).
 */
#include "format.h"

#include <tracer/trace.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define X(K, n, fl, tail, say, fields) [EV_##K] = #n,
static const char *const kind_names[EV_KIND_COUNT] = {EVENT_KINDS(X)};
#undef X

#define X(K, n, fl, tail, say, fields) [EV_##K] = say,
static const char *const kind_says[EV_KIND_COUNT] = {EVENT_KINDS(X)};
#undef X

#define X(K, n, fl, tail, say, fields) [EV_##K] = fl,
static const unsigned kind_flags[EV_KIND_COUNT] = {EVENT_KINDS(X)};
#undef X

#define X(K, n, fl, tail, say, fields) [EV_##K] = tail,
static const unsigned kind_tails[EV_KIND_COUNT] = {EVENT_KINDS(X)};
#undef X

#define EVENT__NAME_u(n) #n,
#define EVENT__NAME_i(n) #n,
#define EVENT__NAME_a(n) #n,
#define EVENT__NAME_p(n) #n,
#define EVENT__NAME_s(n)
#define EV_FIELD(t, n) EVENT__NAME_##t(n)
#define X(K, n, fl, tail, say, fields) [EV_##K] = {fields},
static const char *const field_names[EV_KIND_COUNT][EVENT_MAX_FIELDS] = {EVENT_KINDS(X)};
#undef X
#undef EV_FIELD

#define EVENT__TYPE_u(n) 'u',
#define EVENT__TYPE_i(n) 'i',
#define EVENT__TYPE_a(n) 'a',
#define EVENT__TYPE_p(n) 'p',
#define EVENT__TYPE_s(n)
#define EV_FIELD(t, n) EVENT__TYPE_##t(n)
#define X(K, n, fl, tail, say, fields) [EV_##K] = {fields},
static const char field_types[EV_KIND_COUNT][EVENT_MAX_FIELDS] = {EVENT_KINDS(X)};
#undef X
#undef EV_FIELD

#define EVENT__TEXT_u(n)
#define EVENT__TEXT_i(n)
#define EVENT__TEXT_a(n)
#define EVENT__TEXT_p(n)
#define EVENT__TEXT_s(n) #n
#define EV_FIELD(t, n) EVENT__TEXT_##t(n)
#define X(K, n, fl, tail, say, fields) [EV_##K] = "" fields,
static const char *const text_names[EV_KIND_COUNT] = {EVENT_KINDS(X)};
#undef X
#undef EV_FIELD

/* Each word field's role (EV_ROLE_NONE for a plain field), in field order. */
#define EVENT__ROLE_u(r) r,
#define EVENT__ROLE_i(r) r,
#define EVENT__ROLE_a(r) r,
#define EVENT__ROLE_p(r) r,
#define EVENT__ROLE_s(r)
#define EV_FIELD(t, n) EVENT__ROLE_##t(EV_ROLE_NONE)
#undef EV_ROLE
#define EV_ROLE(role, t, n) EVENT__ROLE_##t(EV_ROLE_##role)
#define X(K, n, fl, tail, say, fields) [EV_##K] = {fields},
static const uint8_t field_roles[EV_KIND_COUNT][EVENT_MAX_FIELDS] = {EVENT_KINDS(X)};
#undef X
#undef EV_ROLE
#define EV_ROLE(role, t, n) EV_FIELD(t, n)
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

/* The field of each kind that has each role, or -1: the checks between events ask it of every
 * event, so it is a table, filled once from field_roles. */
static int8_t role_fields[EV_KIND_COUNT][EV_ROLE_COUNT];
static pthread_once_t role_fields_once = PTHREAD_ONCE_INIT;

static void role_fields_fill(void)
{
    memset(role_fields, -1, sizeof role_fields);
    for (int k = 0; k < EV_KIND_COUNT; k++)
        for (int i = EVENT_MAX_FIELDS - 1; i >= 0; i--) /* the first field with a role counts */
            if (field_roles[k][i] != EV_ROLE_NONE && field_roles[k][i] < EV_ROLE_COUNT)
                role_fields[k][field_roles[k][i]] = (int8_t)i;
}

int event_kind_role(enum event_kind k, enum ev_role role)
{
    if ((unsigned)k >= EV_KIND_COUNT || role == EV_ROLE_NONE || (unsigned)role >= EV_ROLE_COUNT)
        return -1;
    pthread_once(&role_fields_once, role_fields_fill);
    return role_fields[k][role];
}

bool event_role(const struct event *ev, enum ev_role role, uint64_t *out)
{
    int i = event_kind_role(ev->kind, role);
    *out = i >= 0 ? ev->u.f[i] : 0;
    return i >= 0;
}

uint64_t event_subject(const struct event *ev)
{
    static const enum ev_role order[] = {EV_ROLE_ADDR, EV_ROLE_POOL, EV_ROLE_ARENA, EV_ROLE_OBJ};
    uint64_t v;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (event_role(ev, order[i], &v))
            return v;
    return 0;
}

const char *event_kind_say(enum event_kind k)
{
    return (unsigned)k < EV_KIND_COUNT ? kind_says[k] : "an event of an unknown kind";
}

unsigned event_kind_flags(enum event_kind k)
{
    return kind_flags[k];
}

size_t event_kind_tail(enum event_kind k)
{
    return kind_tails[k];
}

bool event_table_is_valid(char *err, size_t errlen)
{
    for (int k = 0; k < EV_KIND_COUNT; k++) {
        enum event_kind ek = (enum event_kind)k;
        const char *name = kind_names[k];
        size_t nw = event_kind_field_count(ek);
        const char *text = event_kind_text_name(ek);
        if (!fmt_name_is_valid((const uint8_t *)name, strlen(name))) {
            snprintf(err, errlen, "kind %d: bad name '%s'", k, name);
            return false;
        }
        for (int j = 0; j < k; j++)
            if (strcmp(kind_names[j], name) == 0) {
                snprintf(err, errlen, "kind '%s' twice", name);
                return false;
            }
        if (kind_tails[k] > nw + (text != NULL)) {
            snprintf(err, errlen, "kind '%s': tail %u beyond its fields", name, kind_tails[k]);
            return false;
        }
        if (kind_flags[k] & ~EVF_OPTIONAL) {
            snprintf(err, errlen, "kind '%s': unknown flags", name);
            return false;
        }
        for (size_t i = 0; i < nw + (text != NULL); i++) {
            const char *f = i < nw ? field_names[k][i] : text;
            char t = i < nw ? field_types[k][i] : 's';
            if (!fmt_name_is_valid((const uint8_t *)f, strlen(f)) || !strchr("uiaps", t)) {
                snprintf(err, errlen, "kind '%s': bad field %zu", name, i);
                return false;
            }
            for (size_t j = 0; j < i; j++)
                if (strcmp(field_names[k][j], f) == 0) {
                    snprintf(err, errlen, "kind '%s': field '%s' twice", name, f);
                    return false;
                }
        }
        /* a role at most once, on a field of its type: an address, or a number for a slot and
         * a class */
        for (size_t i = 0; i < nw; i++) {
            unsigned r = field_roles[k][i];
            if (r == EV_ROLE_NONE)
                continue;
            bool number = r == EV_ROLE_SLOT || r == EV_ROLE_CLASS;
            char t = field_types[k][i];
            if (r >= EV_ROLE_COUNT || (number ? t != 'u' : t != 'a' && t != 'p') ||
                event_kind_role(ek, (enum ev_role)r) != (int)i) {
                snprintf(err, errlen, "kind '%s': field '%s' has a bad role", name,
                         field_names[k][i]);
                return false;
            }
        }
    }
    return true;
}
