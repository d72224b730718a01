# copy: copy.copy versus copy.deepcopy of [10, 10, [10, 11]].
# The source of `arenascope demo copy`; it runs unchanged in python3.
import copy

a = [10, 10, [10, 11]]
print("a ->", a)

b = copy.copy(a)
print("b is a ->", b is a)
print("b[2] is a[2] ->", b[2] is a[2])

c = copy.deepcopy(a)
print("c[2] is a[2] ->", c[2] is a[2])

print("c[0] is a[0] ->", c[0] is a[0])

a[2].append(12)
print("a ->", a)
print("b ->", b)
print("c ->", c)

del a, b, c
