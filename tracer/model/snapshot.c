/*
 * snapshot.c - a real program's names at its last line step; see snapshot.h.
 */
#include "fold.h"
#include "snapshot.h"
#include "workload.h"

#include <tracer/codec.h>

#include <inttypes.h>
#include <string.h>

static void snap_clear(struct msnap *s)
{
    s->step_seq = UINT64_MAX;
    s->nnames = s->text_len = s->nrefs = 0;
}

void msnapshot_clear(struct msnapshot *s)
{
    snap_clear(&s->cur);
    snap_clear(&s->prev);
}

void msnapshot_step(struct msnapshot *s, uint64_t pos)
{
    if (s->cur.step_seq != UINT64_MAX)
        s->prev = s->cur;
    snap_clear(&s->cur);
    s->cur.step_seq = pos;
}

/* Appends a name; false when it does not fit (it is dropped: the capture keeps to the limits). */
static bool add_name(struct msnap *s, const struct msnap_name *n, const char *text, size_t len)
{
    if (s->nnames == MODEL_SNAP_NAMES || s->text_len + len > sizeof s->text)
        return false;
    struct msnap_name *d = &s->names[s->nnames++];
    *d = *n;
    d->off = (uint32_t)s->text_len;
    d->text_len = (uint32_t)len;
    memcpy(s->text + s->text_len, text, len);
    s->text_len += len;
    const char *eq = memchr(text, '=', len);
    d->name_len = eq ? (uint32_t)(eq - text) : (uint32_t)len;
    return true;
}

int msnapshot_fold_name(struct msnapshot *s, struct mfold *f, const struct event *ev)
{
    const struct event_snap_name *e = &ev->u.snap_name;
    if (s->cur.step_seq == UINT64_MAX)
        return mfold_reject(f, ev, "a name with no line step before it");
    struct msnap_name n = {.obj = e->obj, .size = e->size, .refcnt = e->refcnt,
                           .type = e->type > UINT32_MAX ? 0 : (uint32_t)e->type,
                           .flags = (uint32_t)(e->flags & 0xff), .gen = (uint32_t)e->gen};
    if (e->gen >= EV_SNAP_GEN_COUNT)
        return mfold_reject(f, ev, "a name in generation %" PRIu64 ", which the format does not have", e->gen);
    add_name(&s->cur, &n, ev->str ? ev->str : "", ev->str ? ev->str_len : 0);
    return 0;
}

int msnapshot_fold_ref(struct msnapshot *s, struct mfold *f, const struct event *ev)
{
    const struct event_snap_ref *e = &ev->u.snap_ref;
    if (s->cur.step_seq == UINT64_MAX)
        return mfold_reject(f, ev, "a reference with no line step before it");
    for (size_t i = 0; i < s->cur.nrefs; i++)
        if (s->cur.refs[i].from == e->from && s->cur.refs[i].to == e->to) {
            s->cur.refs[i].count++;
            return 0;
        }
    if (s->cur.nrefs < MODEL_SNAP_REFS)
        s->cur.refs[s->cur.nrefs++] = (struct model_snap_ref){e->from, e->to, 1};
    return 0;
}

static void save_snap(const struct msnap *s, struct codec_buf *b)
{
    codec_buf_put_varint(b, s->step_seq == UINT64_MAX ? 0 : s->step_seq + 1);
    codec_buf_put_varint(b, s->nnames);
    for (size_t i = 0; i < s->nnames; i++) {
        const struct msnap_name *n = &s->names[i];
        codec_buf_put_varint(b, n->obj);
        codec_buf_put_varint(b, n->size);
        codec_buf_put_varint(b, n->refcnt);
        codec_buf_put_varint(b, n->type);
        codec_buf_put_varint(b, n->flags);
        codec_buf_put_varint(b, n->gen);
        codec_buf_put_text(b, s->text + n->off, n->text_len);
    }
    codec_buf_put_varint(b, s->nrefs);
    for (size_t i = 0; i < s->nrefs; i++) {
        codec_buf_put_varint(b, s->refs[i].from);
        codec_buf_put_varint(b, s->refs[i].to);
        codec_buf_put_varint(b, s->refs[i].count);
    }
}

static bool load_snap(struct msnap *s, struct codec_reader *r, bool gens)
{
    snap_clear(s);
    uint64_t seq = codec_read_varint(r), n = codec_read_varint(r);
    if (r->bad || n > MODEL_SNAP_NAMES)
        return false;
    s->step_seq = seq ? seq - 1 : UINT64_MAX;
    for (uint64_t i = 0; i < n; i++) {
        struct msnap_name x = {0};
        x.obj = codec_read_varint(r);
        x.size = codec_read_varint(r);
        x.refcnt = codec_read_varint(r);
        uint64_t type = codec_read_varint(r), flags = codec_read_varint(r);
        uint64_t gen = gens ? codec_read_varint(r) : EV_SNAP_GEN_UNKNOWN;
        size_t len;
        const char *text = codec_read_text(r, &len);
        if (r->bad || type > UINT32_MAX || flags > 0xff || gen >= EV_SNAP_GEN_COUNT)
            return false;
        x.type = (uint32_t)type;
        x.flags = (uint32_t)flags;
        x.gen = (uint32_t)gen;
        if (!add_name(s, &x, text, len))
            return false;
    }
    uint64_t nr = codec_read_varint(r);
    if (r->bad || nr > MODEL_SNAP_REFS)
        return false;
    for (uint64_t i = 0; i < nr; i++) {
        struct model_snap_ref *x = &s->refs[s->nrefs++];
        x->from = codec_read_varint(r);
        x->to = codec_read_varint(r);
        uint64_t count = codec_read_varint(r);
        if (r->bad || count == 0 || count > UINT32_MAX)
            return false;
        x->count = (uint32_t)count;
    }
    return !r->bad;
}

void msnapshot_save(const struct msnapshot *s, struct codec_buf *b)
{
    save_snap(&s->cur, b);
    save_snap(&s->prev, b);
}

bool msnapshot_load(struct msnapshot *s, struct codec_reader *r, bool gens)
{
    return load_snap(&s->cur, r, gens) && load_snap(&s->prev, r, gens);
}

/* ---- what the views read --------------------------------------------------------------------- */

static size_t names_of(const struct msnap *s, struct model_snap_name *out, size_t max)
{
    size_t n = s->nnames < max ? s->nnames : max;
    for (size_t i = 0; i < n; i++) {
        const struct msnap_name *x = &s->names[i];
        const char *t = s->text + x->off;
        size_t repr = x->text_len > x->name_len ? x->text_len - x->name_len - 1 : 0;
        out[i] = (struct model_snap_name){.obj = x->obj, .type = x->type, .size = x->size, .refcnt = x->refcnt,
                                          .flags = x->flags, .gen = x->gen, .name = t, .name_len = x->name_len,
                                          .repr = t + x->name_len + (repr ? 1 : 0), .repr_len = repr};
    }
    return s->nnames;
}

size_t model_snap_names(const struct model *m, bool previous, struct model_snap_name *out, size_t max)
{
    const struct msnapshot *s = &model_parts(m)->work->snap;
    return names_of(previous ? &s->prev : &s->cur, out, max);
}

size_t model_snap_refs(const struct model *m, struct model_snap_ref *out, size_t max)
{
    const struct msnap *s = &model_parts(m)->work->snap.cur;
    size_t n = s->nrefs < max ? s->nrefs : max;
    memcpy(out, s->refs, n * sizeof *out);
    return s->nrefs;
}
