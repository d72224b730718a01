# leak-hunt: finding what keeps objects alive with the gc module's own tools.
# The source of `arenascope demo leak-hunt`; it runs unchanged in python3.
import gc
import sys

a = []
b = []
a.append(b)
print("sys.getrefcount(a) ->", sys.getrefcount(a))
print("sys.getrefcount(b) ->", sys.getrefcount(b))

print("len(gc.get_referents(a)) ->", len(gc.get_referents(a)))
print("a in gc.get_referrers(b) ->", a in gc.get_referrers(b))

del a, b
print("gc.collect() ->", gc.collect())

# DEBUG_SAVEALL keeps what a collection finds in gc.garbage instead of freeing it;
# DEBUG_LEAK is SAVEALL and a report of each object found, on stderr.
gc.set_debug(gc.DEBUG_SAVEALL)
a = []
b = [a]
a.append(b)
del a, b
print("gc.collect() ->", gc.collect())
print("len(gc.garbage) ->", len(gc.garbage))

print("gc.garbage[0] in gc.get_referents(gc.garbage[1]) ->", gc.garbage[0] in gc.get_referents(gc.garbage[1]))
print("len(gc.get_referrers(gc.garbage[0])) ->", len(gc.get_referrers(gc.garbage[0])))

gc.set_debug(0)
gc.garbage.clear()
print("gc.collect() ->", gc.collect())
