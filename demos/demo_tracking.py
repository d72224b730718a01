# tracking: the collector follows only containers, and lets go of some it need not follow.
# The source of `arenascope demo tracking`; it runs unchanged in python3.
import gc

i = int("1000")
s = "".join(["py", "thon"])
print("gc.is_tracked(i) ->", gc.is_tracked(i))
print("gc.is_tracked(s) ->", gc.is_tracked(s))

l = []
print("gc.is_tracked(l) ->", gc.is_tracked(l))

t = (i, s)
print("gc.is_tracked(t) ->", gc.is_tracked(t))

print("gc.collect() ->", gc.collect())
print("gc.is_tracked(t) ->", gc.is_tracked(t))

d = {"x": 1}
print("gc.is_tracked(d) ->", gc.is_tracked(d))

d["y"] = l
print("gc.is_tracked(d) ->", gc.is_tracked(d))

del d["y"]
print("gc.is_tracked(d) ->", gc.is_tracked(d))

print("gc.collect() ->", gc.collect())
print("gc.is_tracked(d) ->", gc.is_tracked(d))

del i, s, l, t, d
