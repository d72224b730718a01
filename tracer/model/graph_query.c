/*
 * graph_query.c - what the views read of the object graph: types, stacks, objects with their
 * memory's size class and their mark in the collection in progress, references, frames and
 * names.
 */
#include "collector.h"
#include "fold.h"
#include "graph.h"
#include "heap.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- types and stacks ------------------------------------------------------------------------ */

/* Describes type t in out; false (out untouched) when there is none. */
static bool type_fill(const struct mgraph *g, const struct mtype *t, struct model_type *out)
{
    if (!t)
        return false;
    size_t len;
    *out = (struct model_type){.id = t->id,
                               .name = strtab_get(&g->strs, t->name, &len),
                               .basicsize = t->basicsize,
                               .itemsize = t->itemsize,
                               .flags = t->flags,
                               .live = t->live};
    return true;
}

bool model_type(const struct model *m, uint32_t id, struct model_type *out)
{
    const struct mgraph *g = model_parts(m)->graph;
    return type_fill(g, mgraph_type_get(g, id), out);
}

uint32_t model_type_count(const struct model *m)
{
    return (uint32_t)model_parts(m)->graph->ntypes;
}

bool model_type_next(const struct model *m, size_t *cursor, struct model_type *out)
{
    const struct mgraph *g = model_parts(m)->graph;
    return type_fill(g, *cursor < g->ntypes ? &g->types[(*cursor)++] : NULL, out);
}

bool model_stack(const struct model *m, uint32_t id, struct model_stack *out)
{
    const struct mgraph *g = model_parts(m)->graph;
    const uint64_t *v = map_get(&g->stack_index, id);
    if (!v)
        return false;
    const struct mstack *s = &g->stacks[*v - 1];
    *out = (struct model_stack){.id = s->id,
                                .depth = s->depth,
                                .parent = s->parent,
                                .frame = s->frame,
                                .frames = g->stack_bytes + s->off,
                                .len = s->len};
    if (s->frame && !model_frame_text(m, s->frame, &out->frames, &out->len))
        out->len = 0;
    return true;
}

bool model_frame_text(const struct model *m, uint32_t id, const char **text, size_t *len)
{
    const struct mgraph *g = model_parts(m)->graph;
    const uint64_t *v = map_get(&g->framedef_index, id);
    if (!v)
        return false;
    const struct mframedef *d = &g->framedefs[*v - 1];
    *text = g->stack_bytes + d->off;
    *len = d->len;
    return true;
}

bool model_stack_frame(const struct model *m, uint32_t id, uint32_t i, const char **text, size_t *len)
{
    struct model_stack st;
    /* a stack's parent is defined before it: the walk ends */
    while (id && model_stack(m, id, &st)) {
        const char *p = st.frames, *end = st.frames + st.len;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            const char *stop = nl ? nl : end;
            if (i == 0) {
                *text = p;
                *len = (size_t)(stop - p);
                return true;
            }
            i--;
            p = nl ? nl + 1 : end;
        }
        if (st.parent >= id)
            return false;
        id = st.parent;
    }
    return false;
}

uint32_t model_stack_top_frame(const struct model *m, uint32_t id)
{
    struct model_stack st;
    return id && model_stack(m, id, &st) ? st.frame : 0;
}

/* Whether a frame is a program's line: a Python frame, not the import system's (CPython leaves
 * those out of tracebacks too). */
static bool frame_is_program_line(const char *text, size_t len)
{
    struct model_frame_info fi;
    model_frame_parse(text, len, &fi);
    static const char frozen[] = "<frozen importlib._bootstrap";
    return fi.python && !(fi.file_len >= sizeof frozen - 1 && memcmp(fi.file, frozen, sizeof frozen - 1) == 0);
}

uint32_t model_stack_line_frame(const struct model *m, uint32_t id)
{
    struct model_stack st;
    uint32_t first = 0;
    while (id && model_stack(m, id, &st)) {
        if (!st.frame)
            return first;
        if (!first)
            first = st.frame;
        if (frame_is_program_line(st.frames, st.len))
            return st.frame;
        if (st.parent >= id)
            break;
        id = st.parent;
    }
    return first;
}

void model_frame_parse(const char *text, size_t len, struct model_frame_info *out)
{
    memset(out, 0, sizeof *out);
    out->function = text;
    out->function_len = len;
    out->file = "";
    const char *t1 = memchr(text, '\t', len);
    const char *t2 = t1 ? memchr(t1 + 1, '\t', len - (size_t)(t1 + 1 - text)) : NULL;
    if (!t1 || !t2)
        return;
    out->python = true;
    out->function_len = (size_t)(t1 - text);
    out->file = t1 + 1;
    out->file_len = (size_t)(t2 - t1 - 1);
    uint32_t line = 0;
    for (const char *p = t2 + 1; p < text + len && *p >= '0' && *p <= '9'; p++)
        line = line * 10 + (uint32_t)(*p - '0');
    out->line = line;
}

/* ---- objects --------------------------------------------------------------------------------- */

static void object_fill(const struct model *m, const struct mobj *o, struct model_object *out)
{
    const struct mgraph *g = model_parts(m)->graph;
    const struct mheap *h = model_parts(m)->heap;
    const struct mcollector *c = model_parts(m)->gc;
    const struct mtype *t = mgraph_type_get(g, o->type);
    size_t len;
    *out = (struct model_object){
        .addr = o->addr,
        .type = o->type,
        .type_name = t ? strtab_get(&g->strs, t->name, &len) : "?",
        .size = o->size,
        .block = o->block,
        .szidx = MODEL_NO_CLASS,
        .refcnt = o->refcnt,
        .seq_refcnt = o->seq_refcnt,
        .seq_new = o->seq_new,
        .gen = o->gen,
        .tracked = o->gen >= 0,
        .flags = o->flags,
        .stack = o->stack,
        .storage = o->storage,
        .storage_size = o->storage_size,
        .weakref_target = o->weak_target,
        .weakrefs = o->weakrefs,
        .value = o->value,
        .value_len = o->value_len,
        .has_gc_refs = o->has_gc_refs,
        .gc_refs = o->gc_refs,
        .mark = -1,
    };
    if (o->block) {
        const struct mpool *p = mheap_pool_lookup(h, o->block);
        if (p && p->szidx < h->geo.nclasses)
            out->szidx = p->szidx;
    }
    if (o->mark_idx != NONE) {
        out->mark = c->marks[o->mark_idx].mark;
        out->mark_via = c->marks[o->mark_idx].via;
    }
}

size_t model_object_count(const struct model *m)
{
    return model_parts(m)->graph->nobjs;
}

bool model_object_find(const struct model *m, uint64_t addr, struct model_object *out)
{
    const struct mgraph *g = model_parts(m)->graph;
    uint32_t i = mgraph_obj_lookup(g, addr);
    if (i == NONE)
        return false;
    object_fill(m, &g->objs[i], out);
    return true;
}

bool model_object_next(const struct model *m, size_t *cursor, struct model_object *out)
{
    const struct mgraph *g = model_parts(m)->graph;
    while (*cursor < g->nobjs_slots) {
        const struct mobj *o = &g->objs[(*cursor)++];
        if (o->live) {
            object_fill(m, o, out);
            return true;
        }
    }
    return false;
}

size_t model_objects_sorted(const struct model *m, uint64_t *addrs, size_t max)
{
    const struct mgraph *g = model_parts(m)->graph;
    uint64_t *all = map_sorted_keys(&g->obj_index); /* the live objects' addresses */
    size_t n = g->obj_index.n;
    if (!all)
        return 0;
    memcpy(addrs, all, (n < max ? n : max) * sizeof *all);
    free(all);
    return n;
}

/* The references from the object at addr (referents: its out-list), or to it (referrers: its
 * in-list). */
static size_t object_refs(const struct model *m, uint64_t addr, bool referents,
                          struct model_ref *out, size_t max)
{
    const struct mgraph *g = model_parts(m)->graph;
    uint32_t i = mgraph_obj_lookup(g, addr);
    size_t n = 0;
    if (i == NONE)
        return 0;
    uint32_t e = referents ? g->objs[i].out_head : g->objs[i].in_head;
    while (e != NONE) {
        const struct medge *d = &g->edges[e];
        if (n < max)
            out[n] = (struct model_ref){.obj = referents ? d->obj : d->owner, .count = d->count};
        n++;
        e = referents ? d->out_next : d->in_next;
    }
    return n;
}

size_t model_object_referents(const struct model *m, uint64_t addr, struct model_ref *out,
                              size_t max)
{
    return object_refs(m, addr, true, out, max);
}

size_t model_object_referrers(const struct model *m, uint64_t addr, struct model_ref *out,
                              size_t max)
{
    return object_refs(m, addr, false, out, max);
}

/* ---- frames and names ------------------------------------------------------------------------ */

uint32_t model_frame_count(const struct model *m)
{
    return (uint32_t)model_parts(m)->graph->nframes;
}

bool model_frame_at(const struct model *m, uint32_t depth, struct model_frame *out)
{
    const struct mgraph *g = model_parts(m)->graph;
    if (depth >= g->nframes)
        return false;
    const struct mframe *f = &g->frames[depth];
    *out = (struct model_frame){.id = f->id, .nnames = (uint32_t)f->nnames};
    out->function = strtab_get(&g->strs, f->function, &out->function_len);
    return true;
}

static void name_fill(const struct mgraph *g, const struct mframe *f, const struct mname *nm,
                      struct model_name *out)
{
    *out = (struct model_name){.frame = f->id, .obj = nm->obj};
    out->name = strtab_get(&g->strs, nm->name, &out->name_len);
}

size_t model_frame_names(const struct model *m, uint32_t depth, struct model_name *out,
                         size_t max)
{
    const struct mgraph *g = model_parts(m)->graph;
    if (depth >= g->nframes)
        return 0;
    const struct mframe *f = &g->frames[depth];
    for (size_t i = 0; i < f->nnames && i < max; i++)
        name_fill(g, f, &f->names[i], &out[i]);
    return f->nnames;
}

size_t model_object_names(const struct model *m, uint64_t obj, struct model_name *out,
                          size_t max)
{
    const struct mgraph *g = model_parts(m)->graph;
    size_t n = 0;
    for (size_t d = 0; d < g->nframes; d++) {
        const struct mframe *f = &g->frames[d];
        for (size_t i = 0; i < f->nnames; i++) {
            if (f->names[i].obj != obj)
                continue;
            if (n < max)
                name_fill(g, f, &f->names[i], &out[n]);
            n++;
        }
    }
    return n;
}

/* Where a frame's file is, short: its base name, with its directory's for a package's
 * __init__.py or __main__.py (which say nothing alone). */
static void short_file(const char *file, size_t len, const char **out, size_t *out_len)
{
    const char *base = file, *dir = file;
    for (size_t i = 0; i < len; i++)
        if (file[i] == '/') {
            dir = base;
            base = file + i + 1;
        }
    size_t blen = (size_t)(file + len - base);
    bool package = (blen == 11 && memcmp(base, "__init__.py", 11) == 0) ||
                   (blen == 11 && memcmp(base, "__main__.py", 11) == 0);
    *out = package ? dir : base;
    *out_len = (size_t)(file + len - *out);
}

void model_frame_format(const char *text, size_t len, char *buf, size_t cap)
{
    struct model_frame_info fi;
    model_frame_parse(text, len, &fi);
    if (!fi.python) {
        snprintf(buf, cap, "%.*s", (int)len, text);
        return;
    }
    if (fi.file_len == 0) {
        snprintf(buf, cap, "%.*s", (int)fi.function_len, fi.function);
        return;
    }
    const char *f;
    size_t flen;
    short_file(fi.file, fi.file_len, &f, &flen);
    snprintf(buf, cap, "%.*s:%" PRIu32 " in %.*s", (int)flen, f, fi.line, (int)fi.function_len, fi.function);
}
