/*
 * cpython_numbers.h - what CPython 3.11.7 gives for the snippets the demos mirror
 * (tests/runtime/cpython_snippets.py), stated once: test_runtime checks that the runtime gives
 * the same, test_cpython_numbers runs the snippets with python3 (when it is 3.11) and checks
 * that CPython still says so.  Tuples are written "a,b,c"; booleans 1 and 0.
 */
#ifndef TESTS_RUNTIME_CPYTHON_NUMBERS_H
#define TESTS_RUNTIME_CPYTHON_NUMBERS_H

/* clang-format off */
#define CPYTHON_NUMBERS(X) \
    X(tour_refcounts, "2,3,4") \
    X(tour_collect, "1") \
    X(refcount_list, "2") \
    X(refcount_in_function, "3") \
    X(refcount_after_call, "2") \
    X(refcount_second_name, "3") \
    X(refcount_in_list_twice, "5") \
    X(refcount_after_del_list, "3") \
    X(refcount_attribute, "4") \
    X(refcount_back, "2") \
    X(is_small_int, "1") \
    X(is_1000_runtime, "0") \
    X(eq_1000_runtime, "1") \
    X(is_256_runtime, "1") \
    X(is_257_runtime, "0") \
    X(is_minus5_runtime, "1") \
    X(is_minus6_runtime, "0") \
    X(is_interned_literal, "1") \
    X(is_joined, "0") \
    X(is_intern_joined, "1") \
    X(sizeof_int_1000, "28") \
    X(sizeof_int_0, "28") \
    X(sizeof_float, "24") \
    X(sizeof_str_python, "55") \
    X(sizeof_empty_tuple, "40") \
    X(sizeof_tuple3, "64") \
    X(sizeof_empty_list, "56") \
    X(sizeof_list_5_appends, "120") \
    X(sizeof_empty_dict, "64") \
    X(sizeof_dict_str_key, "184") \
    X(sizeof_dict_int_key, "224") \
    X(sizeof_dict_6_str_keys, "272") \
    X(sizeof_instance, "56") \
    X(sizeof_slots2, "48") \
    X(sizeof_weakref, "80") \
    X(list_growth, "4,8,16,24,32,40,52,64") \
    X(refcount_self_list, "3") \
    X(collect_self_list, "1") \
    X(refcount_node_left, "4") \
    X(collect_node_cycle, "2") \
    X(collect_self_instance, "1") \
    X(collect_self_dict, "1") \
    X(collect_nothing, "0") \
    X(count_three_lists, "3,0,0") \
    X(count_after_collect0, "0,1,0") \
    X(count_after_collect1, "0,0,1") \
    X(count_after_two_collect0, "0,2,1") \
    X(count_after_full, "0,0,0") \
    X(is_tracked_list, "1") \
    X(is_tracked_int, "0") \
    X(is_tracked_dict_atoms, "0") \
    X(is_tracked_dict_list, "1") \
    X(is_tracked_dict_after_del, "1") \
    X(is_tracked_dict_after_collect, "0") \
    X(is_tracked_tuple_new, "1") \
    X(is_tracked_tuple_after_collect, "0") \
    X(auto_collections_30000, "42") \
    X(auto_gen1_collections_30000, "3") \
    X(auto_collections_30000_t2000, "14") \
    X(auto_collections_until_full, "133") \
    X(weakref_alive, "1") \
    X(weakref_refcount, "2") \
    X(weakref_same_ref, "1") \
    X(weakref_count, "1") \
    X(weakref_dead, "1") \
    X(weakref_callback_calls, "1") \
    X(proxy_refcount_parent, "2") \
    X(proxy_after_del, "0") \
    X(proxy_collect, "0") \
    X(finalizer_before_collect, "0") \
    X(finalizer_collect, "1") \
    X(finalizer_ran, "1") \
    X(finalizer_garbage, "0") \
    X(resurrect_collect, "0") \
    X(resurrect_kept, "1") \
    X(resurrect_collect_again, "1") \
    X(copy_is_outer, "0") \
    X(copy_is_inner, "1") \
    X(deepcopy_is_inner, "0") \
    X(deepcopy_is_int, "1") \
    X(deepcopy_eq, "1") \
    X(copy_inner_refcount, "3") \
    X(freeze_count_positive, "1") \
    X(freeze_counts, "0,0,0") \
    X(freeze_count_after_unfreeze, "0") \
    /* end */
/* clang-format on */

#endif
