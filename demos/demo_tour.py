# tour: a list and its blocks, names and counts, a cycle and the collector, the small-int cache
# and block reuse.  The source of `arenascope demo tour`; it runs unchanged in python3.
import gc
import sys

a = []
print("sys.getrefcount(a) ->", sys.getrefcount(a))

b = a
print("sys.getrefcount(a) ->", sys.getrefcount(a))

a.append(1000)

a.append(a)
print("sys.getrefcount(a) ->", sys.getrefcount(a))

del a
del b

print("gc.collect() ->", gc.collect())

x = 5
y = int("1001")
old_id_y = id(y)

del y

z = int("2001")
print("id(z) == old id(y) ->", id(z) == old_id_y)

del x
del z
