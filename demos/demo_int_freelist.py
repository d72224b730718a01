# int-freelist: where a dead int's memory goes: Python 2's int free list, or the allocator.
# The source of `arenascope demo int-freelist`; it runs unchanged in python3.
import gc

a = int("1000")
before = id(a)
del a
b = int("2000")
print("id(b) == id(a) ->", id(b) == before)

nums = list(range(1000, 1100))
print("len(nums) ->", len(nums))

del nums
print("gc.collect() ->", gc.collect())

del b
