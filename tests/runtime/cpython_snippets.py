# The Python snippets the demos mirror, run by CPython itself.  Prints one "name value" line
# per number that tests/runtime/cpython_numbers.h states; test_cpython_numbers compares them.
# Run with python3 3.11 (other versions differ where docs/cpython-memory.md says they do).
import copy
import gc
import sys
import weakref

out = []


def say(name, value):
    if isinstance(value, bool):
        value = int(value)
    elif isinstance(value, tuple):
        value = ",".join(str(v) for v in value)
    out.append(f"{name} {value}")


def getrefcount_exercise():
    a = []
    say("refcount_list", sys.getrefcount(a))

    def f(x):
        say("refcount_in_function", sys.getrefcount(x))

    f(a)
    say("refcount_after_call", sys.getrefcount(a))
    b = a
    say("refcount_second_name", sys.getrefcount(a))
    l = [a, a]
    say("refcount_in_list_twice", sys.getrefcount(a))
    del l
    say("refcount_after_del_list", sys.getrefcount(a))

    class C:
        pass

    c = C()
    c.attr = a
    say("refcount_attribute", sys.getrefcount(a))
    del b, c
    say("refcount_back", sys.getrefcount(a))


def identity():
    a = 123
    b = 123
    say("is_small_int", a is b)
    say("is_1000_runtime", int("1000") is int("1000"))
    say("eq_1000_runtime", int("1000") == int("1000"))
    say("is_256_runtime", int("256") is int("256"))
    say("is_257_runtime", int("257") is int("257"))
    say("is_minus5_runtime", int("-5") is int("-5"))
    say("is_minus6_runtime", int("-6") is int("-6"))
    s1 = "python"
    s2 = "python"
    say("is_interned_literal", s1 is s2)
    s3 = "".join(["py", "thon"])
    say("is_joined", s3 is s1)
    say("is_intern_joined", sys.intern(s3) is s1)


def sizes():
    say("sizeof_int_1000", sys.getsizeof(1000))
    say("sizeof_int_0", sys.getsizeof(0))
    say("sizeof_float", sys.getsizeof(1.5))
    say("sizeof_str_python", sys.getsizeof("python"))
    say("sizeof_empty_tuple", sys.getsizeof(()))
    say("sizeof_tuple3", sys.getsizeof((1, 2, 3)))
    say("sizeof_empty_list", sys.getsizeof([]))
    l = []
    for i in range(5):
        l.append(i)
    say("sizeof_list_5_appends", sys.getsizeof(l))
    say("sizeof_empty_dict", sys.getsizeof({}))
    d = {}
    d["a"] = 1
    say("sizeof_dict_str_key", sys.getsizeof(d))
    d = {}
    d[1] = 1
    say("sizeof_dict_int_key", sys.getsizeof(d))
    d = {}
    for k in "abcdef":
        d[k] = 1
    say("sizeof_dict_6_str_keys", sys.getsizeof(d))

    class A:
        pass

    class S:
        __slots__ = ("x", "y")

    say("sizeof_instance", sys.getsizeof(A()))
    say("sizeof_slots2", sys.getsizeof(S()))
    say("sizeof_weakref", sys.getsizeof(weakref.ref(A)))
    caps = []
    l = []
    prev = None
    for i in range(60):
        l.append(i)
        n = (sys.getsizeof(l) - 56) // 8
        if n != prev:
            caps.append(n)
            prev = n
    say("list_growth", tuple(caps))


def tour():
    gc.collect()
    a = []
    counts = [sys.getrefcount(a)]
    b = a
    counts.append(sys.getrefcount(a))
    a.append(1000)
    a.append(a)
    counts.append(sys.getrefcount(a))
    say("tour_refcounts", tuple(counts))
    del a, b
    say("tour_collect", gc.collect())


def cycles():
    gc.collect()
    a = []
    a.append(a)
    say("refcount_self_list", sys.getrefcount(a))
    del a
    say("collect_self_list", gc.collect())

    class Node:
        pass

    mid = Node()
    left = Node()
    right = Node()
    mid.left = left
    mid.right = right
    left.next = right
    right.prev = left
    say("refcount_node_left", sys.getrefcount(left))
    del mid, left, right
    say("collect_node_cycle", gc.collect())

    class Self:
        pass

    s = Self()
    s.me = s
    del s
    say("collect_self_instance", gc.collect())
    d = {}
    d["self"] = d
    del d
    say("collect_self_dict", gc.collect())
    say("collect_nothing", gc.collect())


def generations():
    # gc.get_count() allocates its result tuple after reading the counts; later ones come from
    # the tuple free list, so they do not disturb what is measured.
    gc.collect()
    a = []
    b = []
    c = []
    say("count_three_lists", gc.get_count())
    gc.collect(0)
    say("count_after_collect0", gc.get_count())
    gc.collect(1)
    say("count_after_collect1", gc.get_count())
    gc.collect(0)
    gc.collect(0)
    say("count_after_two_collect0", gc.get_count())
    gc.collect()
    say("count_after_full", gc.get_count())
    say("is_tracked_list", gc.is_tracked(a))
    say("is_tracked_int", gc.is_tracked(1000))
    d = {"x": 1}
    say("is_tracked_dict_atoms", gc.is_tracked(d))
    d["y"] = []
    say("is_tracked_dict_list", gc.is_tracked(d))
    del d["y"]
    say("is_tracked_dict_after_del", gc.is_tracked(d))
    gc.collect()
    say("is_tracked_dict_after_collect", gc.is_tracked(d))
    t = tuple([1000, 2000])
    say("is_tracked_tuple_new", gc.is_tracked(t))
    gc.collect()
    say("is_tracked_tuple_after_collect", gc.is_tracked(t))
    del a, b, c


def trigger():
    gc.collect()
    seen = []

    def cb(phase, info):
        if phase == "start":
            seen.append(info["generation"])

    gc.callbacks.append(cb)
    keep = []
    for i in range(30000):
        keep.append([])
    gc.callbacks.remove(cb)
    say("auto_collections_30000", len(seen))
    say("auto_gen1_collections_30000", seen.count(1))
    del keep
    gc.collect()
    gc.set_threshold(2000, 10, 10)
    seen.clear()
    gc.callbacks.append(cb)
    keep = []
    for i in range(30000):
        keep.append([])
    gc.callbacks.remove(cb)
    say("auto_collections_30000_t2000", len(seen))
    gc.set_threshold(700, 10, 10)
    del keep
    gc.collect()
    # the first full collection of a growing structure, and how many came before it
    seen.clear()
    gc.callbacks.append(cb)
    keep = []
    while 2 not in seen:
        keep.append([])
    gc.callbacks.remove(cb)
    say("auto_collections_until_full", len(seen))
    del keep
    gc.collect()


def weakrefs():
    class Node:
        pass

    a = Node()
    r = weakref.ref(a)
    say("weakref_alive", r() is a)
    say("weakref_refcount", sys.getrefcount(a))
    say("weakref_same_ref", weakref.ref(a) is r)
    say("weakref_count", weakref.getweakrefcount(a))
    del a
    say("weakref_dead", r() is None)
    calls = []
    b = Node()
    r2 = weakref.ref(b, lambda ref: calls.append(ref))
    del b
    say("weakref_callback_calls", len(calls))

    class Parent:
        pass

    class Child:
        pass

    p = Parent()
    c = Child()
    p.child = c
    c.parent = weakref.proxy(p)
    say("proxy_refcount_parent", sys.getrefcount(p))
    del p
    try:
        c.parent.child
        alive = 1
    except ReferenceError:
        alive = 0
    say("proxy_after_del", alive)
    say("proxy_collect", gc.collect())


def finalizers():
    gc.collect()
    ran = []

    class A:
        def __del__(self):
            ran.append(1)

    a = A()
    a.me = a
    del a
    say("finalizer_before_collect", len(ran))
    say("finalizer_collect", gc.collect())
    say("finalizer_ran", len(ran))
    say("finalizer_garbage", len(gc.garbage))
    keep = []

    class R:
        def __del__(self):
            keep.append(self)

    r = R()
    r.me = r
    del r
    say("resurrect_collect", gc.collect())
    say("resurrect_kept", len(keep))
    keep.clear()
    say("resurrect_collect_again", gc.collect())


def copies():
    a = [10, 10, [10, 11]]
    b = copy.copy(a)
    say("copy_is_outer", b is a)
    say("copy_is_inner", b[2] is a[2])
    c = copy.deepcopy(a)
    say("deepcopy_is_inner", c[2] is a[2])
    say("deepcopy_is_int", c[0] is a[0])
    say("deepcopy_eq", c == a)
    say("copy_inner_refcount", sys.getrefcount(a[2]))


def freeze():
    gc.collect()
    gc.freeze()
    counts = gc.get_count()
    n = gc.get_freeze_count()
    say("freeze_count_positive", n > 0)
    say("freeze_counts", counts)
    gc.unfreeze()
    say("freeze_count_after_unfreeze", gc.get_freeze_count())


for f in (tour, getrefcount_exercise, identity, sizes, cycles, generations, trigger, weakrefs,
          finalizers, copies, freeze):
    f()
print("\n".join(out))
