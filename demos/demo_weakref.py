# weakref: weak references, proxies and callbacks.
# The source of `arenascope demo weakref`; it runs unchanged in python3.
import gc
import sys
import weakref


class Node:
    pass


a = Node()
r = weakref.ref(a)
print("sys.getrefcount(a) ->", sys.getrefcount(a))

print("r() is a ->", r() is a)

del a
print("r() ->", r())


def callback(ref):
    print("callback called with", ref)


b = Node()
r2 = weakref.ref(b, callback)
del b


class Parent:
    pass


class Child:
    pass


p = Parent()
c = Child()
p.child = c
c.parent = weakref.proxy(p)
print("sys.getrefcount(p) ->", sys.getrefcount(p))

del p

try:
    c.parent.child
except ReferenceError as e:
    print("ReferenceError:", e)

print("gc.collect() ->", gc.collect())

del c, r, r2, callback
