# refcount: names, arguments, containers, del and scope exit, seen through sys.getrefcount.
# The source of `arenascope demo refcount`; it runs unchanged in python3.
import sys

a = []
print("sys.getrefcount(a) ->", sys.getrefcount(a))


def f(x):
    print("sys.getrefcount(x) ->", sys.getrefcount(x))


f(a)
print("sys.getrefcount(a) ->", sys.getrefcount(a))

b = a
print("sys.getrefcount(a) ->", sys.getrefcount(a))

l = [a, a]
print("sys.getrefcount(a) ->", sys.getrefcount(a))

del l
print("sys.getrefcount(a) ->", sys.getrefcount(a))


class C:
    pass


c = C()
c.attr = a
print("sys.getrefcount(a) ->", sys.getrefcount(a))

del b
del c
print("sys.getrefcount(a) ->", sys.getrefcount(a))

a = None
del a
