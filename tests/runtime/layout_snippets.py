# -*- coding: utf-8 -*-
# The sizes tests/runtime/test_layouts.c compares with the runtime under each version's object
# layout (allocator/runtime_layout.c): run by every installed interpreter, 2.7 to 3.13.  Prints
# one "name value" line per case; a case that does not apply to the version is not printed.
import gc
import sys
import weakref


def say(name, value):
    print("%s %d" % (name, value))


class A(object):
    pass


class S(object):
    __slots__ = ("a", "b")


class D(object):
    def __del__(self):
        pass


def f():
    pass


def appended(n):
    l = []
    for i in range(n):
        l.append(i)
    return l


def str_keys(n):
    d = {}
    for i in range(n):
        d["k%d" % i] = i
    return d


def added(n):
    s = set()
    for i in range(n):
        s.add(i)
    return s


say("int_0", sys.getsizeof(0))
say("int_1", sys.getsizeof(1))
say("int_1000", sys.getsizeof(1000))
say("int_2_30", sys.getsizeof(2 ** 30))
say("int_2_60", sys.getsizeof(2 ** 60))
say("int_minus_2_40", sys.getsizeof(-2 ** 40))
say("float", sys.getsizeof(1.5))
say("str_empty", sys.getsizeof(""))
say("str_a", sys.getsizeof("a"))
say("str_e_acute", sys.getsizeof("é"))
say("str_euro", sys.getsizeof("€"))
say("str_emoji", sys.getsizeof("😀"))
say("str_abc_20", sys.getsizeof("abc" * 20))
say("str_e_acute_5", sys.getsizeof("é" * 5))
say("str_euro_5", sys.getsizeof("€" * 5))
say("str_emoji_5", sys.getsizeof("😀" * 5))
say("str_mixed", sys.getsizeof("aé€😀"))
say("tuple_0", sys.getsizeof(()))
say("tuple_3", sys.getsizeof((1, 2, 3)))
say("list_0", sys.getsizeof([]))
for n in (1, 5, 9, 17, 30, 100):
    say("list_appends_%d" % n, sys.getsizeof(appended(n)))
say("dict_0", sys.getsizeof({}))
d = {}
d["a"] = 1
say("dict_1", sys.getsizeof(d))
d = {}
d[1] = 1
say("dict_1_int", sys.getsizeof(d))
for n in (5, 6, 10, 11, 22, 100):
    say("dict_%d" % n, sys.getsizeof(str_keys(n)))
say("set_0", sys.getsizeof(set()))
for n in (1, 4, 5, 10, 19, 100):
    say("set_%d" % n, sys.getsizeof(added(n)))
say("frozenset_0", sys.getsizeof(frozenset()))
say("frozenset_3", sys.getsizeof(frozenset(added(3))))
a = A()
say("instance", sys.getsizeof(a))
if sys.version_info < (3, 11):
    a.x = 1
    say("instance_dict_1", sys.getsizeof(a.__dict__))
    a.y = 2
    a.z = 3
    say("instance_dict_3", sys.getsizeof(a.__dict__))
say("slots_2", sys.getsizeof(S()))
a = A()
say("weakref", sys.getsizeof(weakref.ref(a)))
say("proxy", sys.getsizeof(weakref.proxy(a)))
say("function", sys.getsizeof(f))
gc.collect()
a = A()
a.me = a
del a
say("collect_instance_cycle", gc.collect())
d = D()
l = []
d.me = d
d.stuff = l
del d, l
say("collect_del_cycle", gc.collect())
