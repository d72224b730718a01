# rebinding: a name is a label; binding it to another object drops a reference to the old one.
# The source of `arenascope demo rebinding`; it runs unchanged in python3.
import sys

x = [1, 2, 3]
print("sys.getrefcount(x) ->", sys.getrefcount(x))

x = [4, 5, 6]
print("x ->", x)

# int("300") rather than the literal 300, which the compiled code holds on to as well.
x = int("300")
y = x
z = [x, y]
print("sys.getrefcount(x) ->", sys.getrefcount(x))

del x
print("sys.getrefcount(y) ->", sys.getrefcount(y))

del z
print("sys.getrefcount(y) ->", sys.getrefcount(y))

a = 1
b = a
b = None
print("a ->", a)

del a, b, y
