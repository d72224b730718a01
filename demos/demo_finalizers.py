# finalizers: __del__ in a cycle, PEP 442 and the legacy gc.garbage.
# The source of `arenascope demo finalizers`; it runs unchanged in python3.
import gc


class A:
    def __del__(self):
        print("__del__ called on", self)


class R:
    def __del__(self):
        print("__del__ saves self in the list 'saved'")
        saved.append(self)


class L:
    # stands for a C type with a legacy tp_del, which Python code cannot define
    def __del__(self):
        print("__del__ called on", self)


a = A()
a.me = a

del a

print("gc.collect() ->", gc.collect())
print("len(gc.garbage) ->", len(gc.garbage))

saved = []
r = R()
r.me = r
del r

print("gc.collect() ->", gc.collect())
print("len(saved) ->", len(saved))

saved.clear()
print("gc.collect() ->", gc.collect())

l = L()
l.me = l
del l
print("gc.collect() ->", gc.collect())
print("len(gc.garbage) ->", len(gc.garbage))

del saved
