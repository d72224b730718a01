/*
 * python.h - the interpreter the capture library was loaded into, seen from C without linking it.
 *
 * The library must load into any process (LD_PRELOAD is inherited by everything a program
 * starts) and must not link libpython, so the few functions of the C API it calls are looked up
 * at run time with dlsym(RTLD_DEFAULT, ...): a process without PyMem_SetAllocator is not a
 * Python interpreter and the library stays inert in it.
 *
 * Reading the Python call stack must not allocate: an allocation made while the allocator's hook
 * runs would land in the heap being shown, so the capture could not be told apart from the
 * program.  The public ways to the frames allocate (PyThreadState_GetFrame makes frame objects on
 * 3.11+), so the stack is read from the interpreter's own structures, whose layout differs per
 * minor version: `struct py_layout` holds the offsets for 3.8 to 3.13 (checked against each
 * version's headers by tests/capture).  Lines come from PyCode_Addr2Line and names from
 * PyUnicode_ReadChar, neither of which allocates.
 */
#ifndef CAPTURE_PYTHON_H
#define CAPTURE_PYTHON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* PEP 445, as Include/cpython/pymem.h declares it. */
enum { PY_DOMAIN_RAW = 0, PY_DOMAIN_MEM = 1, PY_DOMAIN_OBJ = 2 };
struct py_allocator {
    void *ctx;
    void *(*malloc)(void *ctx, size_t size);
    void *(*calloc)(void *ctx, size_t nelem, size_t elsize);
    void *(*realloc)(void *ctx, void *ptr, size_t new_size);
    void (*free)(void *ctx, void *ptr);
};
struct py_arena_allocator {
    void *ctx;
    void *(*alloc)(void *ctx, size_t size);
    void (*free)(void *ctx, void *ptr, size_t size);
};

/* Where the current frame, its caller, its code and its instruction are, for one minor version. */
enum py_frame_style {
    PY_FRAMES_OBJECTS,     /* 3.8-3.10: PyFrameObject chain, f_lasti an int */
    PY_FRAMES_INTERPRETER, /* 3.11+: _PyInterpreterFrame chain, an instruction pointer */
};
struct py_layout {
    int minor;                   /* 3.minor */
    enum py_frame_style style;
    /* thread state -> innermost frame: *(tstate + tstate_frame) [+ cframe_current, 3.11/3.12] */
    uint16_t tstate_frame;
    int16_t cframe_current;      /* -1: tstate_frame points at the frame itself */
    uint16_t frame_back, frame_code, frame_instr;
    int16_t frame_owner;         /* byte offset of `owner` (3.11+), -1 before */
    bool lasti_in_units;         /* f_lasti counts 2-byte code units (3.10), not bytes */
    bool instr_is_next;          /* instr_ptr is the instruction about to run (3.13), not the last */
    uint16_t code_filename, code_name, code_firstlineno;
    int16_t code_qualname;       /* -1 before 3.11 */
    int16_t code_adaptive;       /* start of the bytecode inside the code object (3.11+) */
    int16_t code_firsttraceable; /* int _co_firsttraceable (3.11+) */
    /* a frame's names: its globals dict, its fast locals (an array of objects) and, in the code
     * object, how many there are, their names (a tuple) and, 3.11+, their kinds (bytes) */
    uint16_t frame_globals, frame_localsplus;
    uint16_t code_nlocals, code_localnames;
    int16_t code_localkinds;     /* co_localspluskinds (3.11+), -1 before */
};

/* Offsets in objects whose layout did not change from 3.8 to 3.13 (release builds, 64-bit). */
enum {
    PY_OB_TYPE = 8,        /* PyObject.ob_type */
    PY_OB_SIZE = 16,       /* PyVarObject.ob_size */
    PY_TUPLE_ITEMS = 24,   /* PyTupleObject.ob_item */
    PY_TYPE_NAME = 24,     /* PyTypeObject.tp_name: a char * */
    PY_TYPE_BASICSIZE = 32,
    PY_TYPE_ITEMSIZE = 40,
    PY_TYPE_FLAGS = 168,   /* unsigned long tp_flags */
    PY_TYPE_TRAVERSE = 184,
};
#define PY_TPFLAGS_HAVE_GC (1ul << 14)
#define PY_TPFLAGS_TYPE_SUBCLASS (1ul << 31)
#define PY_GC_HEAD 16 /* the collector's header before a tracked object: _gc_next, _gc_prev */
/* The collector's state (struct _gc_runtime_state, 3.8 to 3.13; docs/cpython-memory.md 7.3), by
 * byte offset from generations[0].head, the head of generation 0: the three generations are
 * `struct gc_generation {PyGC_Head head; int threshold, count;}` one after the other, then the
 * pointer `generation0` (to generations[0].head), the permanent generation, three
 * `gc_generation_stats` of three words, and the int `collecting`. */
enum {
    PY_GC_GENERATION = 24,  /* sizeof(struct gc_generation): generation n's head is at n * 24 */
    PY_GC_GENERATION0 = 72, /* PyGC_Head *generation0 */
    PY_GC_PERMANENT = 80,   /* permanent_generation.head (gc.freeze) */
    PY_GC_COLLECTING = 176, /* int collecting: lists are being rebuilt */
};
/* 3.11's PyCodeObject._co_linearray (cpython/code.h): the line of each code unit, made by the
 * interpreter the first time a trace function sees the code object. */
#define PY311_CODE_LINEARRAY 160
/* 3.12 and 3.13's PyCodeObject._co_monitoring, and the `lines` of the _PyCoMonitoringData it
 * points to (cpython/code.h): made the first time the code runs once sys.monitoring has LINE
 * events set. */
#define PY312_CODE_MONITORING 168
#define PY312_MONITORING_LINES 40
#define PY313_CODE_MONITORING 176
#define PY313_MONITORING_LINES 32

/* The layout for 3.minor, or NULL when the capture does not know that version. */
const struct py_layout *py_layout_for(int minor);

/* Frame owners (3.11+): frames of the C stack and incomplete frames are skipped. */
enum { PY_OWNED_BY_GENERATOR = 1, PY_OWNED_BY_CSTACK = 3 };

/* The C API functions the capture calls; NULL where the version lacks one. */
struct py_api {
    void (*get_allocator)(int domain, struct py_allocator *out);
    void (*set_allocator)(int domain, struct py_allocator *in);
    void (*get_arena_allocator)(struct py_arena_allocator *out);
    void (*set_arena_allocator)(struct py_arena_allocator *in);
    const char *(*get_version)(void);
    int (*is_initialized)(void);
    int (*is_finalizing)(void);
    void *(*tstate_get)(void);            /* without checks: NULL before the first thread state */
    int (*add_pending_call)(int (*fn)(void *), void *arg);
    int (*addr2line)(void *code, int byte_offset);
    intptr_t (*unicode_length)(void *str);
    uint32_t (*unicode_read_char)(void *str, intptr_t index);
    void *code_type;                      /* &PyCode_Type */
    void *unicode_type;                   /* &PyUnicode_Type */

    /* used once the interpreter runs (pending calls, the collector's callback, a live flush) */
    int (*gil_ensure)(void);              /* PyGILState_Ensure */
    void (*gil_release)(int state);       /* PyGILState_Release */
    void (*set_profile)(int (*fn)(void *obj, void *frame, int what, void *arg), void *obj);
    void (*set_trace)(int (*fn)(void *obj, void *frame, int what, void *arg), void *obj);
    void *(*import_module)(const char *name);
    void *(*get_attr_string)(void *obj, const char *name);
    int (*list_append)(void *list, void *item);
    void *(*cfunction_new)(void *def, void *self, void *module);
    void *(*call_object)(void *callable, void *args);
    int (*dict_next)(void *dict, intptr_t *pos, void **key, void **value);
    long (*long_as_long)(void *obj);
    int (*unicode_eq_ascii)(void *str, const char *ascii);
    void *(*tuple_get_item)(void *tuple, intptr_t i);
    void *(*tuple_pack1)(void *item);     /* PyTuple_Pack(1, item) */
    void *(*call_method)(void *obj, const char *name, const char *format, ...); /* PyObject_CallMethod */
    void *(*frame_get_code)(void *frame);  /* PyFrame_GetCode, 3.9+: a new reference */
    long long (*long_as_long_long_and_overflow)(void *obj, int *overflow);
    void *long_as_long_long;               /* present: the one above may be called */
    double (*float_as_double)(void *obj);
    size_t (*sys_getsizeof)(void *obj);    /* _PySys_GetSizeOf: sys.getsizeof without the call */
    int (*frame_get_line)(void *frame);    /* PyFrame_GetLineNumber */
    intptr_t (*tuple_size)(void *tuple);
    void (*err_fetch)(void **type, void **value, void **tb);
    void (*err_restore)(void *type, void *value, void *tb);
    void (*incref)(void *obj);            /* Py_IncRef */
    void (*decref)(void *obj);            /* Py_DecRef */
    void *none;                           /* &_Py_NoneStruct */
};

/* Py_XDECREF: lets go of obj unless it is NULL. */
static inline void py_xdecref(const struct py_api *a, void *obj)
{
    if (obj)
        a->decref(obj);
}

/* The interpreter of this process. */
struct py_info {
    struct py_api api;
    const struct py_layout *layout; /* NULL: a version whose frames the capture cannot read */
    int major, minor, micro;
    char version[32];               /* "3.11.2" */
    bool free_threaded;             /* a build without the GIL (it does not use pymalloc) */
    bool debug;                     /* a --with-pydebug build (its debug hooks replace the allocator) */
};

/*
 * Looks the interpreter up in this process.  Returns false when the process is not a Python
 * interpreter with PEP 445 (no PyMem_SetAllocator: not Python, or Python 2); the library then
 * stays inert.  The version, and whether the build can be served, are in *py.
 */
bool py_info_load(struct py_info *py);

/* A Python str as UTF-8 into buf (always NUL-terminated); "?" for anything else.  Never
 * allocates.  Returns the length. */
size_t py_str_utf8(const struct py_info *py, void *str, char *buf, size_t len);

#endif
