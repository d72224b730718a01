/*
 * names.c - what the class sees of the objects at each line: the program's names and what they
 * are bound to, taken right after a line's step marker.
 *
 * For the innermost frame (the line about to run): its fast locals (a function's), and the
 * module's globals (a dict).  Left out: names starting with "__", and names bound to modules,
 * functions, classes and other types, which say nothing about the heap a line changes.  For each
 * name one `snap_name` event: the object, its type (a `type_new` the first time a type is seen),
 * sys.getsizeof, the true reference count (what sys.getrefcount prints is one more), whether the
 * collector tracks it and in which generation, and "NAME=REPR".  Then a `snap_ref` for every reference from one named
 * object to another, found with the type's tp_traverse; not from an object larger than
 * TRAVERSE_MAX, which every line would walk whole.
 *
 * None of it may disturb the heap it shows.  The frames, dicts and tuples are read in place (the
 * offsets of python.h) or with API functions that do not allocate (PyDict_Next, PyLong_As...,
 * PyFloat_AsDouble, PyUnicode_ReadChar); the repr is written in C for the built-in types and is
 * "<TYPE object>" for others.  The size alone needs a call (sys.getsizeof runs __sizeof__): it
 * is made with in_tool raised, so a block it allocates carries the stack "<arenascope>", and
 * its result is released at once.
 *
 * The generation
 * --------------
 * A tracked object's GC header is linked in one circular list per generation, whose head is not
 * an object but a PyGC_Head inside the collector's state (docs/cpython-memory.md 7.1, 7.3):
 *
 *     gen0 head <-> obj <-> obj <-> ... <-> gen0 head      (and likewise gen1, gen2, permanent)
 *
 * So an object's generation is the head its list leads to.  The heads are found once, without
 * an offset into the interpreter's state: _PyObject_GC_TRACK appends a new object at the tail of
 * generation 0, so a tuple made and tracked just then has the head of generation 0 as its
 * _gc_next.  The rest of the state lies at fixed offsets from there (python.h, the same from 3.8
 * to 3.13), and is believed only when it proves itself: `generation0` must point back at that
 * head, and every head's neighbours must point back at it.  At a line, the walk goes both ways
 * from the object at once (the newest objects are near a list's tail, the oldest near its head),
 * masking the flag bits of the two words, and stops at the first head; it is not made while a
 * collection runs (its lists are half rebuilt then: a __del__ can run a line), nor longer than
 * GEN_WALK_MAX steps.  Nothing is allocated, nothing is written.
 */
#include "state.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAMES_MAX 64  /* names described at a line */
#define REPR_MAX 80   /* bytes of a repr */
#define TYPES_MAX 512 /* types given ids */
/* Bytes (sys.getsizeof) above which a named object's references are not looked for: every line
 * would walk it whole, and a loop over a dict of 300,000 keys made 600,000 visits a line. */
#define TRAVERSE_MAX (16u << 10)
#define GEN_WALK_MAX (1u << 22) /* steps of the walk to a generation's head, each way */

static struct {
    void *types[TYPES_MAX]; /* type objects, by id - 1 */
    size_t ntypes;
    void *getsizeof;        /* sys.getsizeof */
    uintptr_t gen0;         /* the head of generation 0 (the collector's state), 0 unknown */
    bool ready;
} names;

static inline uintptr_t word(uintptr_t base, size_t off)
{
    uintptr_t w;
    memcpy(&w, (const void *)(base + off), sizeof w);
    return w;
}

static inline void *type_of(void *obj)
{
    return (void *)word((uintptr_t)obj, PY_OB_TYPE);
}

static unsigned long type_flags(void *type)
{
    unsigned long f;
    memcpy(&f, (char *)type + PY_TYPE_FLAGS, sizeof f);
    return f;
}

static const char *type_name(void *type)
{
    const char *n = (const char *)word((uintptr_t)type, PY_TYPE_NAME);
    const char *dot = n ? strrchr(n, '.') : NULL;
    return n ? (dot ? dot + 1 : n) : "?";
}

static bool type_named(void *obj, const char *name)
{
    return strcmp(type_name(type_of(obj)), name) == 0;
}

/* The id of a type, defining it with a type_new event the first time. */
static uint64_t type_id(void *type)
{
    for (size_t i = 0; i < names.ntypes; i++)
        if (names.types[i] == type)
            return i + 1;
    if (names.ntypes == TYPES_MAX)
        return 0;
    names.types[names.ntypes++] = type;
    unsigned long f = type_flags(type);
    struct event ev = {.kind = EV_TYPE_NEW};
    ev.u.type_new.type = names.ntypes;
    ev.u.type_new.basicsize = word((uintptr_t)type, PY_TYPE_BASICSIZE);
    ev.u.type_new.itemsize = word((uintptr_t)type, PY_TYPE_ITEMSIZE);
    ev.u.type_new.flags = (f & PY_TPFLAGS_HAVE_GC ? EV_TYPE_GC : 0) | (ev.u.type_new.itemsize ? EV_TYPE_VAR : 0);
    const char *name = type_name(type);
    ev.str = name;
    ev.str_len = (uint32_t)strlen(name);
    capture.sink.emit(capture.sink.ctx, &ev);
    return names.ntypes;
}

/* ---- reprs written in C ------------------------------------------------------------------------ */

struct out {
    char *p;
    size_t n, cap;
    bool cut;
};

static void put(struct out *o, const char *s, size_t len)
{
    if (o->n + len >= o->cap) {
        o->cut = true;
        len = o->n < o->cap - 1 ? o->cap - 1 - o->n : 0;
    }
    memcpy(o->p + o->n, s, len);
    o->n += len;
    o->p[o->n] = '\0';
}

static void puts_(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void repr(struct out *o, void *obj, int depth);

static void repr_str(struct out *o, void *obj)
{
    char text[REPR_MAX + 8];
    size_t n = py_str_utf8(&capture.py, obj, text, sizeof text);
    put(o, "'", 1);
    for (size_t i = 0; i < n && !o->cut; i++) {
        char c = text[i];
        if (c == '\'' || c == '\\')
            put(o, "\\", 1);
        if (c == '\n')
            puts_(o, "\\n");
        else if ((unsigned char)c < 0x20)
            put(o, "?", 1);
        else
            put(o, &c, 1);
    }
    put(o, "'", 1);
}

static void repr_float(struct out *o, double d)
{
    char buf[40];
    if (isnan(d) || isinf(d)) {
        snprintf(buf, sizeof buf, "%s", isnan(d) ? "nan" : d > 0 ? "inf" : "-inf");
    } else {
        /* the shortest that reads back as the same double, as repr() writes it */
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(buf, sizeof buf, "%.*g", prec, d);
            if (strtod(buf, NULL) == d)
                break;
        }
        if (!strpbrk(buf, ".eni"))
            strcat(buf, ".0");
    }
    puts_(o, buf);
}

/* The items of a list or tuple: their count and where they are. */
static void *const *seq_items(void *obj, intptr_t *n)
{
    memcpy(n, (char *)obj + PY_OB_SIZE, sizeof *n);
    if (type_named(obj, "tuple"))
        return (void *const *)((char *)obj + PY_TUPLE_ITEMS);
    return (void *const *)word((uintptr_t)obj, PY_TUPLE_ITEMS); /* list.ob_item */
}

static void repr(struct out *o, void *obj, int depth)
{
    const struct py_api *a = &capture.py.api;
    const char *t = type_name(type_of(obj));
    if (obj == a->none) {
        puts_(o, "None");
    } else if (strcmp(t, "bool") == 0) {
        puts_(o, a->long_as_long(obj) ? "True" : "False");
    } else if (strcmp(t, "int") == 0 && a->long_as_long_long) {
        int overflow = 0;
        long long v = a->long_as_long_long_and_overflow(obj, &overflow);
        char buf[32];
        if (overflow)
            snprintf(buf, sizeof buf, "<a large int>");
        else
            snprintf(buf, sizeof buf, "%lld", v);
        puts_(o, buf);
    } else if (strcmp(t, "float") == 0 && a->float_as_double) {
        repr_float(o, a->float_as_double(obj));
    } else if (strcmp(t, "str") == 0) {
        repr_str(o, obj);
    } else if ((strcmp(t, "list") == 0 || strcmp(t, "tuple") == 0) && depth < 3) {
        bool tuple = t[0] == 't';
        intptr_t n;
        void *const *items = seq_items(obj, &n);
        put(o, tuple ? "(" : "[", 1);
        for (intptr_t i = 0; i < n && !o->cut; i++) {
            if (i)
                puts_(o, ", ");
            repr(o, items[i], depth + 1);
        }
        if (tuple && n == 1)
            puts_(o, ",");
        put(o, tuple ? ")" : "]", 1);
    } else if (strcmp(t, "dict") == 0 && depth < 3) {
        intptr_t pos = 0, i = 0;
        void *k, *v;
        put(o, "{", 1);
        while (!o->cut && a->dict_next(obj, &pos, &k, &v)) {
            if (i++)
                puts_(o, ", ");
            repr(o, k, depth + 1);
            puts_(o, ": ");
            repr(o, v, depth + 1);
        }
        put(o, "}", 1);
    } else {
        char buf[96];
        snprintf(buf, sizeof buf, "<%s object at 0x%" PRIxPTR ">", t, (uintptr_t)obj);
        puts_(o, buf);
    }
}

/* ---- the names -------------------------------------------------------------------------------- */

struct named {
    void *obj;
    char name[64];
    bool global;
    uint64_t size; /* bytes, sys.getsizeof; set once its snap_name is emitted */
    enum ev_snap_gen gen;
};

/* Whether a name is shown: not a dunder, not bound to a module, function, class or type. */
static bool shown(const char *name, void *obj)
{
    if (!obj || (name[0] == '_' && name[1] == '_'))
        return false;
    void *t = type_of(obj);
    if (type_flags(t) & PY_TPFLAGS_TYPE_SUBCLASS)
        return false; /* a class */
    static const char *const hidden[] = {"module", "function", "builtin_function_or_method", "method",
                                         "staticmethod", "classmethod"};
    const char *tn = type_name(t);
    for (size_t i = 0; i < sizeof hidden / sizeof hidden[0]; i++)
        if (strcmp(tn, hidden[i]) == 0)
            return false;
    return true;
}

static size_t add(struct named *list, size_t n, void *name_obj, void *obj, bool global)
{
    if (n == NAMES_MAX)
        return n;
    char name[64];
    py_str_utf8(&capture.py, name_obj, name, sizeof name);
    if (!shown(name, obj))
        return n;
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i].name, name) == 0)
            return n; /* a local hides the global of its name */
    list[n].obj = obj;
    list[n].global = global;
    snprintf(list[n].name, sizeof list[n].name, "%s", name);
    return n + 1;
}

/* The names of the innermost frame: its fast locals, then the module's globals. */
static size_t collect(struct named *list)
{
    const struct py_layout *L = capture.py.layout;
    uintptr_t f = pystack_innermost_frame(capture.stacks);
    if (!f)
        return 0;
    uintptr_t code = word(f, L->frame_code);
    size_t n = 0;
    int nlocals;
    memcpy(&nlocals, (char *)code + L->code_nlocals, sizeof nlocals);
    uintptr_t localnames = word(code, L->code_localnames);
    uintptr_t kinds = L->code_localkinds >= 0 ? word(code, (size_t)L->code_localkinds) : 0;
    void *const *fast = (void *const *)(f + L->frame_localsplus);
    void *globals = (void *)word(f, L->frame_globals);
    for (int i = 0; i < nlocals && i < 4096; i++) {
        /* 3.11+: only plain locals (kind CO_FAST_LOCAL, 0x20); a cell's value is one more hop */
        if (kinds) {
            unsigned char k = ((const unsigned char *)(kinds + 32))[i]; /* bytes' data after its header */
            if (!(k & 0x20) || (k & 0xc0))
                continue;
        }
        void *name = ((void *const *)(localnames + PY_TUPLE_ITEMS))[i];
        n = add(list, n, name, fast[i], false);
    }
    /* a module's code: its locals are the globals */
    if (globals) {
        intptr_t pos = 0;
        void *k, *v;
        while (n < NAMES_MAX && capture.py.api.dict_next(globals, &pos, &k, &v))
            n = add(list, n, k, v, true);
    }
    return n;
}

/* tp_traverse's visit: a referent of the object being traversed. */
struct refs {
    void *from;
    const struct named *list;
    size_t n;
};

static int visit(void *obj, void *arg)
{
    const struct refs *r = arg;
    for (size_t i = 0; i < r->n; i++) {
        if (r->list[i].obj == obj && obj != r->from) {
            struct event ev = {.kind = EV_SNAP_REF};
            ev.u.snap_ref.from = (uint64_t)(uintptr_t)r->from;
            ev.u.snap_ref.to = (uint64_t)(uintptr_t)obj;
            capture.sink.emit(capture.sink.ctx, &ev);
            break;
        }
    }
    return 0;
}

/* sys.getsizeof(obj): __sizeof__ plus the collector's header.  The lookup of __sizeof__ makes a
 * bound method (and a large result an int): the capture's own blocks, freed at once. */
static uint64_t size_of(void *obj)
{
    const struct py_api *a = &capture.py.api;
    if (!a->sys_getsizeof && !names.getsizeof)
        return 0;
    capture.in_tool++;
    void *et, *ev, *tb;
    a->err_fetch(&et, &ev, &tb);
    uint64_t size = 0;
    if (a->sys_getsizeof) {
        size_t s = a->sys_getsizeof(obj);
        size = s == (size_t)-1 ? 0 : s;
    } else {
        void *args = a->tuple_pack1(obj);
        void *r = args ? a->call_object(names.getsizeof, args) : NULL;
        if (r) {
            long v = a->long_as_long(r);
            size = v > 0 ? (uint64_t)v : 0;
            a->decref(r);
        }
        py_xdecref(a, args);
    }
    a->err_restore(et, ev, tb);
    capture.in_tool--;
    return size;
}

/* ---- the generation -------------------------------------------------------------------------- */

static uintptr_t gc_next(uintptr_t head)
{
    return word(head, 0) & ~(uintptr_t)1; /* bit 0: NEXT_MASK_UNREACHABLE, during a collection */
}

static uintptr_t gc_prev(uintptr_t head)
{
    return word(head, sizeof(uintptr_t)) & ~(uintptr_t)3; /* bits 0, 1: FINALIZED, COLLECTING */
}

/* The head of generation `gen` (an ev_snap_gen), from the head of generation 0. */
static uintptr_t gen_head(uintptr_t gen0, enum ev_snap_gen gen)
{
    return gen == EV_SNAP_GEN_PERM ? gen0 + PY_GC_PERMANENT
                                   : gen0 + (uintptr_t)(gen - EV_SNAP_GEN_0) * PY_GC_GENERATION;
}

/* Whether gen0 is the head of generation 0 of a collector's state laid out as python.h says. */
static bool gc_state_is_valid(uintptr_t gen0)
{
    if (!gen0 || word(gen0, PY_GC_GENERATION0) != gen0)
        return false;
    for (int g = EV_SNAP_GEN_0; g < EV_SNAP_GEN_COUNT; g++) {
        uintptr_t h = gen_head(gen0, (enum ev_snap_gen)g), next = gc_next(h), prev = gc_prev(h);
        if (!next || !prev || gc_prev(next) != h || gc_next(prev) != h)
            return false;
    }
    return true;
}

/* Finds the head of generation 0 from a tuple tracked just now (in_tool is raised). */
static uintptr_t find_gen0(void)
{
    const struct py_api *a = &capture.py.api;
    if (capture.py.minor < 8 || capture.py.minor > 13 || capture.py.free_threaded)
        return 0;
    void *probe = a->tuple_pack1(a->none);
    if (!probe)
        return 0;
    uintptr_t head = word((uintptr_t)probe - PY_GC_HEAD, 0);
    uintptr_t gen0 = head && gc_next(head) != 0 && gc_prev(head) == (uintptr_t)probe - PY_GC_HEAD ? head : 0;
    a->decref(probe);
    return gc_state_is_valid(gen0) ? gen0 : 0;
}

/* The generation whose list the tracked object's header is in. */
static enum ev_snap_gen generation_of(void *obj)
{
    uintptr_t gen0 = names.gen0;
    int collecting;
    if (!gen0)
        return EV_SNAP_GEN_UNKNOWN;
    memcpy(&collecting, (const void *)(gen0 + PY_GC_COLLECTING), sizeof collecting);
    if (collecting)
        return EV_SNAP_GEN_UNKNOWN;
    uintptr_t self = (uintptr_t)obj - PY_GC_HEAD, fwd = self, back = self;
    for (uint32_t i = 0; i < GEN_WALK_MAX; i++) {
        fwd = gc_next(fwd);
        back = gc_prev(back);
        if (!fwd || !back || fwd == self)
            return EV_SNAP_GEN_UNKNOWN;
        for (int g = EV_SNAP_GEN_0; g < EV_SNAP_GEN_COUNT; g++) {
            uintptr_t h = gen_head(gen0, (enum ev_snap_gen)g);
            if (fwd == h || back == h)
                return (enum ev_snap_gen)g;
        }
    }
    return EV_SNAP_GEN_UNKNOWN;
}

void names_start(void)
{
    const struct py_api *a = &capture.py.api;
    void *sys = a->import_module("sys");
    names.getsizeof = sys ? a->get_attr_string(sys, "getsizeof") : NULL;
    py_xdecref(a, sys);
    names.ready = capture.py.layout && a->dict_next && a->tuple_pack1;
    names.gen0 = names.ready ? find_gen0() : 0;
}

void names_snapshot(void)
{
    if (!names.ready || !capture.sink.emit)
        return;
    struct named list[NAMES_MAX];
    size_t n = collect(list);
    /* every generation before the first sys.getsizeof, which may allocate a tracked object (a
     * bound method) and so, on 3.8-3.11, run a collection that moves them */
    for (size_t i = 0; i < n; i++) {
        void *obj = list[i].obj;
        bool tracked = (type_flags(type_of(obj)) & PY_TPFLAGS_HAVE_GC) && word((uintptr_t)obj - PY_GC_HEAD, 0) != 0;
        list[i].gen = tracked ? generation_of(obj) : EV_SNAP_GEN_UNKNOWN;
    }
    for (size_t i = 0; i < n; i++) {
        void *obj = list[i].obj;
        void *type = type_of(obj);
        char text[64 + REPR_MAX + 2], rbuf[REPR_MAX + 1];
        struct out o = {rbuf, 0, sizeof rbuf, false};
        rbuf[0] = '\0';
        repr(&o, obj, 0);
        int len = snprintf(text, sizeof text, "%s=%s%s", list[i].name, rbuf, o.cut ? "..." : "");
        uint64_t flags = list[i].global ? EV_SNAP_GLOBAL : 0;
        intptr_t refcnt;
        memcpy(&refcnt, obj, sizeof refcnt);
        if (type_flags(type) & PY_TPFLAGS_HAVE_GC) {
            flags |= EV_SNAP_GC;
            if (word((uintptr_t)obj - PY_GC_HEAD, 0) != 0)
                flags |= EV_SNAP_TRACKED;
        }
        /* 3.12+ immortal objects keep a count of 2^32 - 1; 3.11's static small ints and
         * interned strings start near a billion */
        if ((capture.py.minor >= 12 && (uint32_t)refcnt == UINT32_MAX) || refcnt >= 999999999)
            flags |= EV_SNAP_IMMORTAL;
        struct event ev = {.kind = EV_SNAP_NAME};
        ev.u.snap_name.obj = (uint64_t)(uintptr_t)obj;
        ev.u.snap_name.type = type_id(type);
        ev.u.snap_name.size = size_of(obj);
        list[i].size = ev.u.snap_name.size;
        ev.u.snap_name.refcnt = refcnt < 0 ? 0 : (uint64_t)refcnt;
        ev.u.snap_name.flags = flags;
        ev.u.snap_name.gen = list[i].gen;
        ev.str = text;
        ev.str_len = (uint32_t)(len < 0 ? 0 : (size_t)len < sizeof text ? (size_t)len : sizeof text - 1);
        capture.sink.emit(capture.sink.ctx, &ev);
    }
    /* references between the named objects */
    for (size_t i = 0; i < n; i++) {
        void *type = type_of(list[i].obj);
        int (*traverse)(void *, int (*)(void *, void *), void *);
        uintptr_t tp = word((uintptr_t)type, PY_TYPE_TRAVERSE);
        memcpy(&traverse, &tp, sizeof traverse);
        if (!traverse || !(type_flags(type) & PY_TPFLAGS_HAVE_GC) || list[i].size > TRAVERSE_MAX)
            continue;
        struct refs r = {list[i].obj, list, n};
        traverse(list[i].obj, visit, &r);
    }
}
