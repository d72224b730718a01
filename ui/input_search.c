/*
 * input_search.c - search: what / understands, and n and N going from hit to hit.
 *
 * What was typed is read once, when it is accepted (app_search_compile): an address in hex (an
 * event naming it, or the block that holds it, matches), the name of an event kind, the name of
 * a type (its new objects), or else words, looked for without case in the text of steps, names
 * and prints.  n and N scan the trace from the position with the seeker (seeker_scan) and go on
 * from the other end when they run out, as less and vi do.  In a trace short enough
 * (UI_SEARCH_COUNT_EVENTS) the hits are counted once per search, and again when a live trace has
 * grown, so that the message can say "hit K of N"; the first UI_SEARCH_HITS of them are kept,
 * the count goes on past them.
 */
#include "app.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool contains_nocase(const char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    if (m == 0)
        return false;
    for (size_t i = 0; i + m <= n; i++) {
        size_t k = 0;
        while (k < m && tolower((unsigned char)hay[i + k]) == tolower((unsigned char)needle[k]))
            k++;
        if (k == m)
            return true;
    }
    return false;
}

static bool match_search(void *ctx, const struct event *ev)
{
    const struct ui_search *q = ctx;
    switch (q->type) {
    case UI_SEARCH_NONE:
        return false;
    case UI_SEARCH_KIND:
        return ev->kind == (enum event_kind)q->kind;
    case UI_SEARCH_TYPE:
        return ev->kind == EV_OBJ_NEW && ev->u.obj_new.type == q->type_id;
    case UI_SEARCH_ADDR:
        for (size_t i = 0; i < event_kind_field_count(ev->kind); i++) {
            char t = event_kind_field_type(ev->kind, i);
            if ((t == 'a' || t == 'p') && ev->u.f[i] && (ev->u.f[i] == q->addr || ev->u.f[i] == q->block))
                return true;
        }
        return false;
    case UI_SEARCH_TEXT:
        return ev->str && contains_nocase(ev->str, ev->str_len, q->text);
    }
    return false;
}

/* Understands what was typed: an address, an event kind, a type name, or words. */
void app_search_compile(struct ui_app *app, const char *text)
{
    struct ui_search *q = &app->search;
    memset(q, 0, sizeof *q);
    app->hits.counted_upto = 0;
    snprintf(q->text, sizeof q->text, "%s", text);
    if (!*text)
        return;
    const struct model *m = app_model(app);
    char *end;
    unsigned long long v = strtoull(text, &end, 16);
    bool hex = *end == '\0' && (strncmp(text, "0x", 2) == 0 || strlen(text) >= 6);
    if (hex && v) {
        q->type = UI_SEARCH_ADDR;
        q->addr = v;
        struct model_block b;
        struct model_object o;
        if (model_block_find(m, v, &b))
            q->block = b.addr;
        if (model_object_find(m, v, &o) && o.block)
            q->block = o.block;
        return;
    }
    int k = event_kind_from_name(text);
    if (k >= 0) {
        q->type = UI_SEARCH_KIND;
        q->kind = k;
        return;
    }
    for (uint32_t id = 1; id <= model_type_count(m); id++) {
        struct model_type t;
        if (model_type(m, id, &t) && t.name && strcmp(t.name, text) == 0) {
            q->type = UI_SEARCH_TYPE;
            q->type_id = id;
            return;
        }
    }
    q->type = UI_SEARCH_TEXT;
}

static const char *search_what(const struct ui_search *q, char *buf, size_t len)
{
    switch (q->type) {
    case UI_SEARCH_ADDR: snprintf(buf, len, "events naming 0x%" PRIx64, q->addr); break;
    case UI_SEARCH_KIND: snprintf(buf, len, "%s events", event_kind_name((enum event_kind)q->kind)); break;
    case UI_SEARCH_TYPE: snprintf(buf, len, "new %s objects", q->text); break;
    case UI_SEARCH_TEXT: snprintf(buf, len, "'%s' in steps, names and prints", q->text); break;
    case UI_SEARCH_NONE: snprintf(buf, len, "nothing"); break;
    }
    return buf;
}

struct hit_count {
    const struct ui_search *q;
    struct ui_hits *h;
};

static bool count_hit(void *ctx, const struct event *ev)
{
    struct hit_count *c = ctx;
    if (!match_search((void *)c->q, ev))
        return false;
    struct ui_hits *h = c->h;
    h->total++;
    if (h->n == h->cap && h->cap < UI_SEARCH_HITS) {
        size_t cap = h->cap ? 2 * h->cap : 256;
        uint64_t *at = realloc(h->at, cap * sizeof *at);
        if (at)
            h->at = at, h->cap = cap;
    }
    if (h->n < h->cap)
        h->at[h->n++] = ev->seq;
    return false;
}

/* Counts the search's hits in the whole trace, unless it is too long or already counted. */
static void search_count(struct ui_app *app)
{
    struct ui_hits *h = &app->hits;
    uint64_t count = app_event_count(app);
    if (h->counted_upto == count || count > UI_SEARCH_COUNT_EVENTS)
        return;
    h->n = 0;
    h->total = 0;
    struct hit_count c = {&app->search, h};
    uint64_t found;
    if (seeker_scan(app->s, 0, true, count_hit, &c, &found) < 0)
        return;
    h->counted_upto = count;
}

/* ", hit K of N" for the hit at seq, or "" when the hits are not counted (or it is past those
 * kept). */
static const char *hit_number(const struct ui_hits *h, uint64_t seq, char *buf, size_t len)
{
    buf[0] = '\0';
    if (!h->counted_upto)
        return buf;
    size_t lo = 0, hi = h->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (h->at[mid] < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < h->n && h->at[lo] == seq)
        snprintf(buf, len, ", hit %zu of %" PRIu64, lo + 1, h->total);
    else
        snprintf(buf, len, " of %" PRIu64 " hits", h->total);
    return buf;
}

enum ui_redo app_search_go(struct ui_app *app, bool forward)
{
    if (app->search.type == UI_SEARCH_NONE) {
        app_message(app, false, "nothing to search for yet: press / first");
        return UI_REDO_REPAINT;
    }
    uint64_t pos = app_position(app), count = app_event_count(app), found;
    char what[160];
    bool ok = forward ? seeker_scan(app->s, pos, true, match_search, &app->search, &found) > 0
                      : pos >= 2 && seeker_scan(app->s, pos - 1, false, match_search, &app->search, &found) > 0;
    bool wrapped = false;
    if (!ok && count > 0) {
        /* as less and vi do: go on from the other end */
        ok = forward ? seeker_scan(app->s, 0, true, match_search, &app->search, &found) > 0
                     : seeker_scan(app->s, count, false, match_search, &app->search, &found) > 0;
        wrapped = ok;
    }
    if (!ok) {
        app_message(app, false, "no match for %s", search_what(&app->search, what, sizeof what));
        return UI_REDO_REPAINT;
    }
    app->follow_edge = false;
    app->playing = false;
    search_count(app);
    char number[64];
    hit_number(&app->hits, found, number, sizeof number);
    ui_app_seek(app, found + 1);
    app_message(app, false, "%s: event %" PRIu64 "%s%s (n next, N previous)",
                search_what(&app->search, what, sizeof what), found, number,
                wrapped ? forward ? ", from the start again" : ", from the end again" : "");
    return UI_REDO_REPAINT;
}
