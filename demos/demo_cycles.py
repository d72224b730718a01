# cycles: reference cycles that only the collector can free.
# The source of `arenascope demo cycles`; it runs unchanged in python3.
import gc
import sys

n = int("1000")
print("gc.is_tracked(n) ->", gc.is_tracked(n), "; gc.is_tracked([]) ->", gc.is_tracked([]))
del n

a = []
a.append(a)
print("sys.getrefcount(a) ->", sys.getrefcount(a))

del a

print("gc.collect() ->", gc.collect())


class Node:
    pass


mid, left, right = Node(), Node(), Node()
mid.left = left
mid.right = right

left.next = right
right.prev = left
print("sys.getrefcount(left) ->", sys.getrefcount(left))

del mid, left, right

print("gc.collect() ->", gc.collect())
