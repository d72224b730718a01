/*
 * runtime.h - a CPython-style object runtime on top of the instrumented heap.
 *
 * Objects have the 64-bit layout and sizes of one CPython version (docs/cpython-memory.md 6 and
 * 7.1), a row of allocator/runtime_layout.c's table: a header of reference count and type, a GC
 * head before every container (16 bytes; 32 in 2.7), and for instances of user classes either
 * the managed-dict pre-header (3.11+) or a separate __dict__ (2.7 to 3.10).  By default the
 * runtime has 3.11's layout; the figures below are 3.11's.  Their memory comes from the heap
 * (heap_malloc), so the allocator's picture of a workload is the picture CPython would show.
 * Every change of a reference count, every name bound and every frame is an event
 * (allocator/event.h), so that the UI can draw names pointing at objects.
 *
 * Measured on CPython 3.11.7 (tests/runtime states these figures and checks them):
 *
 *   object                        request to the allocator            sys.getsizeof
 *   int 1000                      28                                  28
 *   float                         24                                  24
 *   str "python" (ASCII, len n)   49 + n                              49 + n
 *   str of n, latin-1/UCS-2/UCS-4 72 + (n + 1) * 1, 2 or 4              same
 *   tuple of n                    40 + 8n  (16 GC head + 24 + 8n)     40 + 8n
 *   list                          56, items 8 * allocated separately  56 + 8 * allocated
 *   dict                          64, keys table separately           64 + keys table
 *   instance of `class A: pass`   56  (16 pre-header + 16 GC + 24)    56
 *   the instance's attribute values  round8(k + 2) + 8k, k slots     (not counted)
 *   instance with __slots__ of n  16 + 16 + 8n                        same
 *   weakref.ref / weakref.proxy   80                                  80
 *   set(), 8 slots inline         216, then a table of 16 per slot    216 + the table
 *   function                      152                                 152
 *
 * Reference convention (CPython's): functions returning `struct rt_object *` return a new
 * reference unless their comment says "borrowed"; arguments are borrowed unless the comment
 * says "steals".  Allocation failure returns NULL (the heap could not get memory); using an
 * object of the wrong type is a programming error and asserts.
 *
 * Reference counts, events and reasons: rt_incref/rt_decref take an ev_ref_reason and the
 * owner (the object holding the reference, or NULL for names, the stack and C code); the
 * runtime's own operations use the matching reasons (REF_CONTAINER from a list append,
 * REF_ATTR from setattr, REF_DEALLOC when an owner dies, REF_GC inside the collector...).
 *
 * Threads: a runtime is used by one thread.
 */
#ifndef ALLOCATOR_RUNTIME_H
#define ALLOCATOR_RUNTIME_H

#include <allocator/event.h>
#include <allocator/gc_profile.h>
#include <allocator/stats.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct heap;
struct runtime;
struct rt_type;

/* An object: CPython's PyObject header.  Fields are read through the functions below. */
struct rt_object {
    intptr_t refcnt;            /* references held; 0 only while being destroyed */
    const struct rt_type *type; /* never NULL */
};

enum {
    RT_EINVAL = -1, /* an argument out of range (a bad generation, an unknown attribute) */
    RT_ENOMEM = -2, /* the heap could not provide memory */
    RT_ETYPE = -3,  /* the operation does not apply to this object */
};
const char *rt_strerror(int err);

/* ---- object layouts ---------------------------------------------------------------------- */

enum rt_list_growth {
    RT_LIST_GROWTH_27, /* list_resize of 2.7 to 3.8: n + n/8 + (n < 9 ? 3 : 6) */
    RT_LIST_GROWTH_39, /* 3.9+: (n + n/8 + 6) & ~3, or n rounded up to 4 for a big step */
};
enum rt_dict_table {
    RT_DICT_OPEN,            /* 2.7: an open table of {hash, key, value}, 8 slots inline */
    RT_DICT_COMPACT,         /* 3.6-3.10: indices and entries of {hash, key, value} */
    RT_DICT_COMPACT_UNICODE, /* 3.11+: entries of {key, value} while every key is a str */
};
enum rt_set_growth {
    RT_SET_GROWTH_27, /* resize when fill * 3 >= slots * 2 */
    RT_SET_GROWTH_3,  /* 3.x: resize when fill * 5 >= mask * 3 */
};
enum rt_instance_dict {
    RT_INSTANCE_DICT_PLAIN,           /* 2.7: a __dict__ pointer in the object, a plain dict */
    RT_INSTANCE_DICT_SPLIT,           /* 3.3-3.10: a __dict__ sharing the class's keys */
    RT_INSTANCE_DICT_MANAGED,         /* 3.11: values array and dict in a pre-header */
    RT_INSTANCE_DICT_MANAGED_WEAKREF, /* 3.12+: the weak reference list in the pre-header too */
};

/* The object layout of one CPython version (64-bit): a row of allocator/runtime_layout.c. */
struct rt_layout {
    char name[16];           /* "cpython-3.11" */
    char python[16];         /* the interpreter whose sizes these are: "python3.11" */
    uint32_t gc_head;        /* bytes of PyGC_Head before a container: 16; 32 in 2.7 */
    uint32_t int_basic;      /* int's header: 24 (digits of 4 bytes follow) */
    bool int_fixed;          /* 2.7: an int is int_basic bytes whatever its value */
    bool int_zero_digit;     /* 3.11+: 0 keeps one digit (28 bytes) */
    uint32_t float_basic;    /* 24 */
    uint32_t str_ascii;      /* PyASCIIObject: 48; 40 in 3.12+; 2.7 bytes str: 36 */
    uint32_t str_compact;    /* PyCompactUnicodeObject (non-ASCII): 72; 56 in 3.12+; 0: 2.7 */
    bool str_latin1_utf8;    /* 3.12+: a 1-character latin-1 str is static, with its UTF-8 */
    uint32_t tuple_basic;    /* 24, then 8 per item */
    uint32_t list_basic;     /* 40; the items are a separate array */
    enum rt_list_growth list_growth;
    uint32_t dict_basic;     /* PyDictObject: 48; 248 in 2.7 (8 slots inline) */
    enum rt_dict_table dict_table;
    uint32_t dict_keys_header; /* PyDictKeysObject header: 40 (3.6-3.10), 32 (3.11+); 0 in 2.7 */
    uint32_t set_basic;      /* PySetObject with its 8 slots inline: 200 */
    enum rt_set_growth set_growth;
    enum rt_instance_dict instance_dict;
    uint32_t weakref_basic;  /* PyWeakReference: 56; 64 in 3.11+ */
    uint32_t function_basic; /* PyFunctionObject: 88 (2.7) to 144 (3.12+) */
    /* sys._debugmallocstats()'s free lists */
    uint32_t tuple_freelists; /* tuples of 1 to this many items are kept: 19 (to 3.10), 20 (3.11+) */
    uint32_t cfunction_free;  /* bytes each of its PyCFunctionObjects line; 0: no such line (3.9+) */
    uint32_t frame_free;      /* ... of PyFrameObjects: 368 (3.8, 3.9), 360 (3.10); 0 from 3.11 */
    uint32_t method_free;     /* ... of PyMethodObjects: 48 (3.8); 0 from 3.9 */
    bool dictkeys_report;     /* 3.13 prints its dict-keys free list (PyDictKeysObjects) */
};

size_t rt_layout_count(void);
const struct rt_layout *rt_layout_at(size_t i); /* NULL past the end */
/* The row named "cpython-X.Y", or NULL. */
const struct rt_layout *rt_layout_find(const char *name);
const struct rt_layout *rt_layout_default(void); /* cpython-3.11 */
/*
 * The layout a runtime takes for an allocator profile and a collector profile: the legacy
 * collector gives 2.7's objects, the cpython-3.8 and cpython-3.9 allocators their versions',
 * the cpython-3.13 collector 3.13's, anything else (the default profiles) 3.11's.
 */
const struct rt_layout *rt_layout_for(const char *heap_profile, const struct gc_profile *gc);

/*
 * Creates a runtime that allocates from `heap` (which it does not own) and emits to `sink`.
 * `gc` is the collector's profile (NULL: the default, cpython-3.8).  The object layout is
 * rt_layout_for(the heap's profile, gc).  A module frame "<module>" is pushed on creation.
 */
int rt_new(struct runtime **out, struct heap *heap, const struct gc_profile *gc,
           const struct event_sink *sink);
/* rt_new with the given object layout (NULL: rt_layout_for). */
int rt_new_layout(struct runtime **out, struct heap *heap, const struct gc_profile *gc,
                  const struct rt_layout *layout, const struct event_sink *sink);
const struct rt_layout *rt_get_layout(const struct runtime *rt);
/*
 * Ends the program: pops every frame, runs a final collection (reason SHUTDOWN, no
 * callbacks), empties gc.garbage and the free lists and releases the interned strings.
 * The runtime can still be asked for its figures afterwards; it creates nothing more.
 * Calling it again does nothing.
 */
void rt_shutdown(struct runtime *rt);
/* Shuts the runtime down if that was not done, then frees it.  Objects still alive after the
 * shutdown (leaked by a caller) stay in the heap. */
void rt_delete(struct runtime *rt);
void rt_set_sink(struct runtime *rt, const struct event_sink *sink);
struct heap *rt_heap(const struct runtime *rt);
const struct gc_profile *rt_gc_profile(const struct runtime *rt);

/* The runtime's count of its objects. */
struct rt_counts {
    uint64_t live;      /* alive on the heap (free-listed memory not counted) */
    uint64_t interned;  /* the interned strings among the live */
    uint64_t created;   /* created so far, heap and free-list ones */
    uint64_t destroyed; /* destroyed so far, heap and free-list ones */
};
struct rt_counts rt_counts(const struct runtime *rt);

/* The free lists as sys._debugmallocstats() lists them (stats.h freelists). */
void rt_get_freelist_stats(const struct runtime *rt, struct heap_stats *out);
/* Objects waiting on free lists, for tests: kind is "float", "list", "dict", "dictkeys", "int" or
 * "tuple1".."tuple20". */
uint32_t rt_freelist_count(const struct runtime *rt, const char *kind);

/* ---- reference counts ------------------------------------------------------------------- */

void rt_incref(struct runtime *rt, struct rt_object *o, enum ev_ref_reason why,
               const struct rt_object *owner);
/* Drops a reference; at zero the object is destroyed in CPython's order (finalizer, weak
 * references, referents in reverse, memory). */
void rt_decref(struct runtime *rt, struct rt_object *o, enum ev_ref_reason why,
               const struct rt_object *owner);
void rt_xdecref(struct runtime *rt, struct rt_object *o, enum ev_ref_reason why,
                const struct rt_object *owner);
intptr_t rt_refcnt(const struct rt_object *o);
/* sys.getrefcount(o): the count plus the reference held by the call's argument (shown as an
 * incref and a decref with reason REF_CALL). */
intptr_t rt_getrefcount(struct runtime *rt, struct rt_object *o);
/* id(o): the address of the PyObject (a GC object's block starts before it). */
uint64_t rt_id(const struct rt_object *o);
static inline bool rt_is(const struct rt_object *a, const struct rt_object *b)
{
    return a == b;
}

/* ---- types ------------------------------------------------------------------------------ */

const char *rt_type_name(const struct rt_type *t);
const struct rt_type *rt_type_of(const struct rt_object *o);
bool rt_type_is_gc(const struct rt_type *t);
/* sys.getsizeof(o). */
size_t rt_sizeof(const struct rt_object *o);
/* True for the given builtin: "int", "float", "str", "tuple", "list", "dict", "set", "frozenset", "NoneType",
 * "weakref.ReferenceType", "weakref.ProxyType", "function". */
bool rt_is_a(const struct rt_object *o, const char *type_name);

typedef void (*rt_finalizer_fn)(struct runtime *rt, struct rt_object *self, void *ctx);

struct rt_class_spec {
    const char *name;            /* "Node" */
    const char *const *slots;    /* __slots__ names, NULL-terminated; NULL: a managed __dict__ */
    bool slots_weakref;          /* with slots: "__weakref__" is one of them */
    rt_finalizer_fn del;         /* __del__, or NULL */
    void *del_ctx;
    bool legacy_del;             /* del is a legacy tp_del (a C type's), as every __del__ is
                                  * under the legacy profile: cycles through it are uncollectable */
};
/* Defines a class (emits type_new).  The class lives as long as the runtime. */
const struct rt_type *rt_class_new(struct runtime *rt, const struct rt_class_spec *spec);

/* ---- values ------------------------------------------------------------------------------ */

struct rt_object *rt_none(struct runtime *rt); /* new reference to None */
/* int(v): -5..256 come from the static small-int cache; others are new objects. */
struct rt_object *rt_int(struct runtime *rt, int64_t v);
int64_t rt_int_value(const struct rt_object *o);
struct rt_object *rt_float(struct runtime *rt, double v);
double rt_float_value(const struct rt_object *o);
/* Strings are UTF-8 in and out; their size follows the widest character (ASCII, latin-1,
 * UCS-2, UCS-4: 1, 1, 2 or 4 bytes each) as CPython's compact strings do (2.7: bytes). */
/* A string built at run time: never interned ('' and 1-character strings are not special). */
struct rt_object *rt_str(struct runtime *rt, const char *s);
/* A string literal in the program text: interned when it is identifier-like (letters, digits,
 * underscores), as the compiler does; others are new objects. */
struct rt_object *rt_str_literal(struct runtime *rt, const char *s);
/* sys.intern(s): steals s, returns the canonical string. */
struct rt_object *rt_intern(struct runtime *rt, struct rt_object *s);
const char *rt_str_value(const struct rt_object *o); /* NUL-terminated, borrowed */
bool rt_str_is_interned(const struct rt_object *o);
/* a + b for two strings: a new string. */
struct rt_object *rt_str_concat(struct runtime *rt, const struct rt_object *a,
                                const struct rt_object *b);

/* ---- containers ------------------------------------------------------------------------- */

/* tuple(items): increfs each item (REF_CONTAINER). n == 0 gives the empty-tuple singleton. */
struct rt_object *rt_tuple(struct runtime *rt, size_t n, struct rt_object *const items[]);
/* [items...]: increfs each item. */
struct rt_object *rt_list(struct runtime *rt, size_t n, struct rt_object *const items[]);
int rt_list_append(struct runtime *rt, struct rt_object *list, struct rt_object *item);
/* list(iterable) of an iterable with a length: an empty list's item array made for exactly n
 * items before they are appended (3.11's list_preallocate_exact); nothing when it has one. */
int rt_list_reserve(struct runtime *rt, struct rt_object *list, size_t n);
/* list_extend's store of one item: into the room already made, without a resize (which append
 * would do, shrinking a reserved array that is still mostly empty); appends when there is none. */
int rt_list_extend_item(struct runtime *rt, struct rt_object *list, struct rt_object *item);
/* list[i] = item (i may be negative, from the end). */
int rt_list_set(struct runtime *rt, struct rt_object *list, intptr_t i, struct rt_object *item);
/* list.pop(i): a new reference, or NULL when out of range. */
struct rt_object *rt_list_pop(struct runtime *rt, struct rt_object *list, intptr_t i);
/* list.clear() */
void rt_list_clear(struct runtime *rt, struct rt_object *list);
size_t rt_list_allocated(const struct rt_object *list); /* slots in the item array */

/* set() and frozenset(items), and set.add: items must be hashable (as dict keys). */
struct rt_object *rt_set(struct runtime *rt);
struct rt_object *rt_frozenset(struct runtime *rt, size_t n, struct rt_object *const items[]);
int rt_set_add(struct runtime *rt, struct rt_object *set, struct rt_object *key);
bool rt_set_contains(const struct rt_object *set, const struct rt_object *key);

/* len() of a str, tuple, list, dict or set (a str's length in characters). */
size_t rt_len(const struct rt_object *o);
/* o[i] of a tuple or list: borrowed. */
struct rt_object *rt_item(const struct rt_object *o, size_t i);

struct rt_object *rt_dict(struct runtime *rt);
/* d[key] = value.  Keys must be hashable: str, int, float, None, tuples of those, instances. */
int rt_dict_set(struct runtime *rt, struct rt_object *d, struct rt_object *key,
                struct rt_object *value);
/* d[key], borrowed; NULL when missing. */
struct rt_object *rt_dict_get(struct runtime *rt, const struct rt_object *d,
                              const struct rt_object *key);
/* del d[key]: RT_EINVAL when missing. */
int rt_dict_del(struct runtime *rt, struct rt_object *d, const struct rt_object *key);
/* The i-th key and value in insertion order (i < len), borrowed. */
void rt_dict_entry(const struct rt_object *d, size_t i, struct rt_object **key,
                   struct rt_object **value);
/* Bytes of the dict's key table (0 for the shared empty table). */
size_t rt_dict_keys_size(const struct rt_object *d);

/* ---- instances -------------------------------------------------------------------------- */

/* cls(): a new instance, tracked by the collector from birth.  Under a layout with a separate
 * __dict__ (2.7 to 3.10) the dict is made by the first attribute set. */
struct rt_object *rt_instance(struct runtime *rt, const struct rt_type *cls);
/* o.name = value (REF_ATTR).  RT_EINVAL for a name outside __slots__ or past 30 attributes. */
int rt_setattr(struct runtime *rt, struct rt_object *o, const char *name, struct rt_object *value);
/* o.name, borrowed; NULL when unset.  Through a weakref.proxy, the referent's attribute. */
struct rt_object *rt_getattr(struct runtime *rt, const struct rt_object *o, const char *name);
/* del o.name */
int rt_delattr(struct runtime *rt, struct rt_object *o, const char *name);

/* The separate __dict__ of an instance (2.7 to 3.10 layouts), borrowed; NULL before its first
 * attribute and under a managed dict. */
struct rt_object *rt_instance_dict(const struct rt_object *o);

/* ---- functions (callables for weakref callbacks and gc callbacks) --------------------------- */

typedef void (*rt_function_fn)(struct runtime *rt, struct rt_object *arg, void *ctx);
/* A function object (152 bytes, tracked) that calls fn(rt, arg, ctx) when called. */
struct rt_object *rt_function(struct runtime *rt, const char *name, rt_function_fn fn, void *ctx);

/* ---- weak references -------------------------------------------------------------------- */

/* weakref.ref(obj[, callback]): RT_ETYPE-ish NULL when obj does not support weak references.
 * Without a callback an existing plain ref is returned again, as CPython does. */
struct rt_object *rt_weakref(struct runtime *rt, struct rt_object *obj, struct rt_object *callback);
struct rt_object *rt_proxy(struct runtime *rt, struct rt_object *obj, struct rt_object *callback);
/* ref(): a new reference to the referent, or to None once it is gone. */
struct rt_object *rt_weakref_get(struct runtime *rt, const struct rt_object *ref);
bool rt_weakref_is_alive(const struct rt_object *ref);
bool rt_supports_weakrefs(const struct rt_object *o);
/* weakref.getweakrefcount(obj) */
size_t rt_weakref_count(const struct rt_object *obj);

/* ---- names and frames -------------------------------------------------------------------- */

/* Pushes a frame for `function` and returns its id (the module frame is 1). */
uint64_t rt_frame_push(struct runtime *rt, const char *function);
/* Leaves the innermost frame: every name in it is unbound (REF_SCOPE_EXIT).  The module
 * frame is popped only by rt_delete. */
void rt_frame_pop(struct runtime *rt);
uint64_t rt_frame_current(const struct runtime *rt);
/* name = obj in the current frame: takes a new reference (REF_NAME). */
int rt_bind(struct runtime *rt, const char *name, struct rt_object *obj);
/* name = <new object>: steals the reference the caller holds (no incref; CPython's STORE). */
int rt_bind_new(struct runtime *rt, const char *name, struct rt_object *obj);
/* name = obj where obj is a call argument: REF_ARG. */
int rt_bind_arg(struct runtime *rt, const char *name, struct rt_object *obj);
/* del name: RT_EINVAL when unbound. */
int rt_unbind(struct runtime *rt, const char *name);
/* The object `name` refers to in the current frame (then the module frame), borrowed. */
struct rt_object *rt_lookup(const struct runtime *rt, const char *name);

/* ---- copy -------------------------------------------------------------------------------- */

/* copy.copy(o): immutable objects are returned as they are; lists, dicts and instances get a
 * new outer object sharing the items. */
struct rt_object *rt_copy(struct runtime *rt, struct rt_object *o);
/* copy.deepcopy(o): shared and cyclic structure is preserved through a memo. */
struct rt_object *rt_deepcopy(struct runtime *rt, struct rt_object *o);

/* ---- printing ----------------------------------------------------------------------------- */

/* repr(o) into buf (truncated with "..."), as Python prints it; returns buf. */
char *rt_repr(const struct rt_object *o, char *buf, size_t len);
/* Emits obj_value(o, repr(o)): the value a print() would show. */
void rt_show(struct runtime *rt, const struct rt_object *o);

#endif
