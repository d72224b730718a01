/*
 * runtime_layout.c - the object layouts of each CPython version, as one table
 * (docs/cpython-memory.md 6 and 7.1), and how a runtime picks its row.
 *
 * A row holds what sys.getsizeof and the allocator's requests depend on: the GC head, the
 * fixed part of each builtin type, how str, dict, list and set tables are sized, and where an
 * instance keeps its attributes.  Measured on 2.7.18, 3.8.18, 3.9.18, 3.10.13, 3.11.7, 3.12.1
 * and 3.13.0 (64-bit); tests/runtime/test_layouts.c runs tests/runtime/layout_snippets.py with
 * each installed interpreter and compares the runtime under the row of that version.
 *
 *   version  GC   int 0  str ''  'é'  '€'  '😀'  {}   {'a':1}  set()  A()  A().__dict__  ref  def
 *   2.7      32   24     37      39   40   41    280  280      232    64   280           88   120
 *   3.8-3.10 16   24     49      74   76   80    64   232      216    48   104 (split)   72   136-144
 *   3.11     16   28     49      74   76   80    64   184      216    56   (managed)     80   152
 *   3.12+    16   28     41      61   60   64    64   184      216    48   (managed)     80   160
 *
 * 2.7's str is a byte string (the UTF-8 of the literal); its int is a PyIntObject of 24 bytes
 * for every value that fits in a C long.
 *
 * The runtime keeps its own structures inside these sizes where they fit: a 2.7 dict's
 * entries stay in a key table of the 3.x shape (sizeof reports 2.7's open table, which the
 * runtime follows beside it); a 3.8-3.10 instance dict is a dict of its own whose sizeof is
 * the split table's while it holds no more than the class's shared keys; 3.12's and 3.13's
 * instance values are an array of their own, as 3.11's are.
 *
 * The free lists sys._debugmallocstats() prints (runtime_private.h, RT_FL_*) differ too: 3.8 has
 * C functions, frames and bound methods besides dicts, floats, lists and tuples of 1 to 19 items;
 * 3.9 and 3.10 frames; 3.11 none of the three, and tuples of 1 to 20; 3.13 adds the dict keys.
 * 2.7 has no such report; its row keeps its tuples of 1 to 19 items.
 */
#include "runtime_private.h"

#include <string.h>

static const struct rt_layout layouts[] = {
    {.name = "cpython-2.7", .python = "python2.7", .gc_head = 32, .int_basic = 24, .int_fixed = true,
     .float_basic = 24, .str_ascii = 36, .str_compact = 0, .tuple_basic = 24, .list_basic = 40,
     .list_growth = RT_LIST_GROWTH_27, .dict_basic = 248, .dict_table = RT_DICT_OPEN, .dict_keys_header = 0,
     .set_basic = 200, .set_growth = RT_SET_GROWTH_27, .instance_dict = RT_INSTANCE_DICT_PLAIN,
     .weakref_basic = 56, .function_basic = 88,
     .tuple_freelists = 19},
    {.name = "cpython-3.8", .python = "python3.8", .gc_head = 16, .int_basic = 24, .float_basic = 24,
     .str_ascii = 48, .str_compact = 72, .tuple_basic = 24, .list_basic = 40, .list_growth = RT_LIST_GROWTH_27,
     .dict_basic = 48, .dict_table = RT_DICT_COMPACT, .dict_keys_header = 40, .set_basic = 200,
     .set_growth = RT_SET_GROWTH_3, .instance_dict = RT_INSTANCE_DICT_SPLIT, .weakref_basic = 56,
     .function_basic = 120,
     .tuple_freelists = 19, .cfunction_free = 56, .frame_free = 368, .method_free = 48},
    {.name = "cpython-3.9", .python = "python3.9", .gc_head = 16, .int_basic = 24, .float_basic = 24,
     .str_ascii = 48, .str_compact = 72, .tuple_basic = 24, .list_basic = 40, .list_growth = RT_LIST_GROWTH_39,
     .dict_basic = 48, .dict_table = RT_DICT_COMPACT, .dict_keys_header = 40, .set_basic = 200,
     .set_growth = RT_SET_GROWTH_3, .instance_dict = RT_INSTANCE_DICT_SPLIT, .weakref_basic = 56,
     .function_basic = 120,
     .tuple_freelists = 19, .frame_free = 368},
    {.name = "cpython-3.10", .python = "python3.10", .gc_head = 16, .int_basic = 24, .float_basic = 24,
     .str_ascii = 48, .str_compact = 72, .tuple_basic = 24, .list_basic = 40, .list_growth = RT_LIST_GROWTH_39,
     .dict_basic = 48, .dict_table = RT_DICT_COMPACT, .dict_keys_header = 40, .set_basic = 200,
     .set_growth = RT_SET_GROWTH_3, .instance_dict = RT_INSTANCE_DICT_SPLIT, .weakref_basic = 56,
     .function_basic = 128,
     .tuple_freelists = 19, .frame_free = 360},
    {.name = "cpython-3.11", .python = "python3.11", .gc_head = 16, .int_basic = 24, .int_zero_digit = true,
     .float_basic = 24, .str_ascii = 48, .str_compact = 72, .tuple_basic = 24, .list_basic = 40,
     .list_growth = RT_LIST_GROWTH_39, .dict_basic = 48, .dict_table = RT_DICT_COMPACT_UNICODE,
     .dict_keys_header = 32, .set_basic = 200, .set_growth = RT_SET_GROWTH_3,
     .instance_dict = RT_INSTANCE_DICT_MANAGED, .weakref_basic = 64, .function_basic = 136,
     .tuple_freelists = 20},
    {.name = "cpython-3.12", .python = "python3.12", .gc_head = 16, .int_basic = 24, .int_zero_digit = true,
     .float_basic = 24, .str_ascii = 40, .str_compact = 56, .str_latin1_utf8 = true, .tuple_basic = 24,
     .list_basic = 40, .list_growth = RT_LIST_GROWTH_39, .dict_basic = 48, .dict_table = RT_DICT_COMPACT_UNICODE,
     .dict_keys_header = 32, .set_basic = 200, .set_growth = RT_SET_GROWTH_3,
     .instance_dict = RT_INSTANCE_DICT_MANAGED_WEAKREF, .weakref_basic = 64, .function_basic = 144,
     .tuple_freelists = 20},
    {.name = "cpython-3.13", .python = "python3.13", .gc_head = 16, .int_basic = 24, .int_zero_digit = true,
     .float_basic = 24, .str_ascii = 40, .str_compact = 56, .str_latin1_utf8 = true, .tuple_basic = 24,
     .list_basic = 40, .list_growth = RT_LIST_GROWTH_39, .dict_basic = 48, .dict_table = RT_DICT_COMPACT_UNICODE,
     .dict_keys_header = 32, .set_basic = 200, .set_growth = RT_SET_GROWTH_3,
     .instance_dict = RT_INSTANCE_DICT_MANAGED_WEAKREF, .weakref_basic = 64, .function_basic = 144,
     .tuple_freelists = 20, .dictkeys_report = true},
};
#define NLAYOUTS (sizeof layouts / sizeof layouts[0])
#define DEFAULT_LAYOUT 4 /* cpython-3.11 */

size_t rt_layout_count(void)
{
    return NLAYOUTS;
}

const struct rt_layout *rt_layout_at(size_t i)
{
    return i < NLAYOUTS ? &layouts[i] : NULL;
}

const struct rt_layout *rt_layout_find(const char *name)
{
    for (size_t i = 0; i < NLAYOUTS; i++)
        if (strcmp(layouts[i].name, name) == 0)
            return &layouts[i];
    return NULL;
}

const struct rt_layout *rt_layout_default(void)
{
    return &layouts[DEFAULT_LAYOUT];
}

const struct rt_layout *rt_layout_for(const char *heap_profile, const struct gc_profile *gc)
{
    if (gc && gc->legacy_finalizers)
        return rt_layout_find("cpython-2.7");
    if (heap_profile && (strcmp(heap_profile, "cpython-3.8") == 0 || strcmp(heap_profile, "cpython-3.9") == 0))
        return rt_layout_find(heap_profile);
    /* 3.14.0-3.14.4 (the incremental profile): 3.13's is the nearest layout known here */
    if (gc && (strcmp(gc->name, "cpython-3.13") == 0 || gc->incremental))
        return rt_layout_find("cpython-3.13");
    return rt_layout_default();
}
