/*
 * python.c - the interpreter seen from C: the C API by dlsym, and the frame layouts (python.h).
 *
 * The offsets below are facts of CPython's headers (Include/cpython/pystate.h, frameobject.h,
 * code.h and Include/internal/pycore_frame.h of each minor version, 64-bit, release builds).
 * tests/capture compiles a probe against the headers of every interpreter installed on the
 * machine and requires the same numbers, so a wrong entry cannot pass unnoticed where that
 * version is installed.
 */
#include "python.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct py_layout layouts[] = {
    /* 3.8 and 3.9: PyThreadState.frame; PyFrameObject f_back, f_code, f_lasti (bytes) */
    {.minor = 8, .style = PY_FRAMES_OBJECTS, .tstate_frame = 24, .cframe_current = -1,
     .frame_back = 24, .frame_code = 32, .frame_instr = 104, .frame_owner = -1,
     .code_filename = 104, .code_name = 112, .code_firstlineno = 40, .code_qualname = -1,
     .code_adaptive = -1, .code_firsttraceable = -1, .frame_globals = 48, .frame_localsplus = 360,
     .code_nlocals = 28, .code_localnames = 72, .code_localkinds = -1},
    {.minor = 9, .style = PY_FRAMES_OBJECTS, .tstate_frame = 24, .cframe_current = -1,
     .frame_back = 24, .frame_code = 32, .frame_instr = 104, .frame_owner = -1,
     .code_filename = 104, .code_name = 112, .code_firstlineno = 40, .code_qualname = -1,
     .code_adaptive = -1, .code_firsttraceable = -1, .frame_globals = 48, .frame_localsplus = 360,
     .code_nlocals = 28, .code_localnames = 72, .code_localkinds = -1},
    /* 3.10: f_lasti counts code units */
    {.minor = 10, .style = PY_FRAMES_OBJECTS, .tstate_frame = 24, .cframe_current = -1,
     .frame_back = 24, .frame_code = 32, .frame_instr = 96, .frame_owner = -1, .lasti_in_units = true,
     .code_filename = 104, .code_name = 112, .code_firstlineno = 40, .code_qualname = -1,
     .code_adaptive = -1, .code_firsttraceable = -1, .frame_globals = 48, .frame_localsplus = 352,
     .code_nlocals = 28, .code_localnames = 72, .code_localkinds = -1},
    /* 3.11: tstate->cframe->current_frame; _PyInterpreterFrame f_code, previous, prev_instr */
    {.minor = 11, .style = PY_FRAMES_INTERPRETER, .tstate_frame = 56, .cframe_current = 8,
     .frame_back = 48, .frame_code = 32, .frame_instr = 56, .frame_owner = 69,
     .code_filename = 112, .code_name = 120, .code_firstlineno = 72, .code_qualname = 128,
     .code_adaptive = 184, .code_firsttraceable = 168, .frame_globals = 8, .frame_localsplus = 72,
     .code_nlocals = 76, .code_localnames = 96, .code_localkinds = 104},
    /* 3.12: the same path, the frame's fields reordered */
    {.minor = 12, .style = PY_FRAMES_INTERPRETER, .tstate_frame = 56, .cframe_current = 0,
     .frame_back = 8, .frame_code = 0, .frame_instr = 56, .frame_owner = 70,
     .code_filename = 112, .code_name = 120, .code_firstlineno = 68, .code_qualname = 128,
     .code_adaptive = 192, .code_firsttraceable = 176, .frame_globals = 24, .frame_localsplus = 72,
     .code_nlocals = 72, .code_localnames = 96, .code_localkinds = 104},
    /* 3.13: tstate->current_frame; f_executable, instr_ptr (the instruction about to run) */
    {.minor = 13, .style = PY_FRAMES_INTERPRETER, .tstate_frame = 72, .cframe_current = -1,
     .frame_back = 8, .frame_code = 0, .frame_instr = 56, .frame_owner = 70, .instr_is_next = true,
     .code_filename = 112, .code_name = 120, .code_firstlineno = 68, .code_qualname = 128,
     .code_adaptive = 200, .code_firsttraceable = 184, .frame_globals = 24, .frame_localsplus = 72,
     .code_nlocals = 72, .code_localnames = 96, .code_localkinds = 104},
};

const struct py_layout *py_layout_for(int minor)
{
    for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++)
        if (layouts[i].minor == minor)
            return &layouts[i];
    return NULL;
}

static void *(*py_tuple_pack)(intptr_t, ...);

static void *pack1(void *item)
{
    return py_tuple_pack(1, item);
}

/* dlsym into a function pointer without the cast ISO C forbids. */
#define LOOKUP(field, name)                                                                      \
    do {                                                                                         \
        void *sym_ = dlsym(RTLD_DEFAULT, name);                                                  \
        memcpy(&(field), &sym_, sizeof sym_);                                                    \
    } while (0)

/* The functions of the C API the capture calls, by their names (python.h says what for). */
#define PY_FUNCTIONS(X)                                                                          \
    X(get_arena_allocator, "PyObject_GetArenaAllocator")                                         \
    X(set_arena_allocator, "PyObject_SetArenaAllocator")                                         \
    X(is_initialized, "Py_IsInitialized")                                                        \
    X(add_pending_call, "Py_AddPendingCall")                                                     \
    X(addr2line, "PyCode_Addr2Line")                                                             \
    X(unicode_length, "PyUnicode_GetLength")                                                     \
    X(unicode_read_char, "PyUnicode_ReadChar")                                                   \
    X(gil_ensure, "PyGILState_Ensure")                                                           \
    X(gil_release, "PyGILState_Release")                                                         \
    X(set_profile, "PyEval_SetProfile")                                                          \
    X(set_trace, "PyEval_SetTrace")                                                              \
    X(import_module, "PyImport_ImportModule")                                                    \
    X(get_attr_string, "PyObject_GetAttrString")                                                 \
    X(list_append, "PyList_Append")                                                              \
    X(cfunction_new, "PyCFunction_NewEx")                                                        \
    X(call_object, "PyObject_CallObject")                                                        \
    X(dict_next, "PyDict_Next")                                                                  \
    X(long_as_long, "PyLong_AsLong")                                                             \
    X(unicode_eq_ascii, "PyUnicode_CompareWithASCIIString")                                      \
    X(tuple_get_item, "PyTuple_GetItem")                                                         \
    X(tuple_size, "PyTuple_Size")                                                                \
    X(err_fetch, "PyErr_Fetch")                                                                  \
    X(err_restore, "PyErr_Restore")                                                              \
    X(incref, "Py_IncRef")                                                                       \
    X(decref, "Py_DecRef")                                                                       \
    X(call_method, "PyObject_CallMethod")                                                        \
    X(frame_get_code, "PyFrame_GetCode")                                                         \
    X(frame_get_line, "PyFrame_GetLineNumber")                                                   \
    X(long_as_long_long_and_overflow, "PyLong_AsLongLongAndOverflow")                            \
    X(float_as_double, "PyFloat_AsDouble")                                                       \
    X(sys_getsizeof, "_PySys_GetSizeOf")

bool py_info_load(struct py_info *py)
{
    memset(py, 0, sizeof *py);
    struct py_api *a = &py->api;
    LOOKUP(a->set_allocator, "PyMem_SetAllocator");
    LOOKUP(a->get_allocator, "PyMem_GetAllocator");
    LOOKUP(a->get_version, "Py_GetVersion");
    if (!a->set_allocator || !a->get_allocator || !a->get_version)
        return false;
#define X(field, name) LOOKUP(a->field, name);
    PY_FUNCTIONS(X)
#undef X
    /* the names that changed across versions */
    LOOKUP(a->is_finalizing, "Py_IsFinalizing");
    if (!a->is_finalizing)
        LOOKUP(a->is_finalizing, "_Py_IsFinalizing");
    LOOKUP(a->tstate_get, "PyThreadState_GetUnchecked");
    if (!a->tstate_get)
        LOOKUP(a->tstate_get, "_PyThreadState_UncheckedGet");
    a->code_type = dlsym(RTLD_DEFAULT, "PyCode_Type");
    a->unicode_type = dlsym(RTLD_DEFAULT, "PyUnicode_Type");
    a->none = dlsym(RTLD_DEFAULT, "_Py_NoneStruct");
    a->long_as_long_long = dlsym(RTLD_DEFAULT, "PyLong_AsLongLongAndOverflow");
    {
        /* PyTuple_Pack is variadic: called through a prototype of one item */
        void *sym = dlsym(RTLD_DEFAULT, "PyTuple_Pack");
        void *(*pack)(intptr_t, ...) = NULL;
        memcpy(&pack, &sym, sizeof sym);
        py_tuple_pack = pack;
        a->tuple_pack1 = pack ? pack1 : NULL;
    }

    const char *v = a->get_version();
    size_t vl = strcspn(v, " ");
    if (vl >= sizeof py->version)
        vl = sizeof py->version - 1;
    memcpy(py->version, v, vl);
    py->version[vl] = '\0';
    if (sscanf(v, "%d.%d.%d", &py->major, &py->minor, &py->micro) < 2)
        py->major = py->minor = 0;
    py->free_threaded = strstr(v, "free-threading") != NULL;
    py->debug = dlsym(RTLD_DEFAULT, "_Py_RefTotal") || dlsym(RTLD_DEFAULT, "_Py_GetGlobalRefTotal");
    if (py->major == 3)
        py->layout = py_layout_for(py->minor);
    return true;
}

/* The type of an object: the word after its reference count (release builds). */
static void *type_of(void *obj)
{
    void *t;
    memcpy(&t, (char *)obj + sizeof(intptr_t), sizeof t);
    return t;
}

static size_t put_utf8(char *buf, size_t len, size_t n, uint32_t c)
{
    uint8_t b[4];
    size_t k;
    if (c < 0x80) {
        b[0] = (uint8_t)c;
        k = 1;
    } else if (c < 0x800) {
        b[0] = (uint8_t)(0xc0 | c >> 6);
        b[1] = (uint8_t)(0x80 | (c & 0x3f));
        k = 2;
    } else if (c < 0x10000) {
        b[0] = (uint8_t)(0xe0 | c >> 12);
        b[1] = (uint8_t)(0x80 | (c >> 6 & 0x3f));
        b[2] = (uint8_t)(0x80 | (c & 0x3f));
        k = 3;
    } else {
        b[0] = (uint8_t)(0xf0 | c >> 18);
        b[1] = (uint8_t)(0x80 | (c >> 12 & 0x3f));
        b[2] = (uint8_t)(0x80 | (c >> 6 & 0x3f));
        b[3] = (uint8_t)(0x80 | (c & 0x3f));
        k = 4;
    }
    if (n + k >= len)
        return n;
    memcpy(buf + n, b, k);
    return n + k;
}

size_t py_str_utf8(const struct py_info *py, void *str, char *buf, size_t len)
{
    const struct py_api *a = &py->api;
    if (!str || !a->unicode_type || type_of(str) != a->unicode_type || !a->unicode_length ||
        !a->unicode_read_char) {
        snprintf(buf, len, "?");
        return strlen(buf);
    }
    intptr_t n = a->unicode_length(str);
    size_t out = 0;
    for (intptr_t i = 0; i < n && out + 1 < len; i++)
        out = put_utf8(buf, len, out, a->unicode_read_char(str, i));
    buf[out] = '\0';
    return out;
}
