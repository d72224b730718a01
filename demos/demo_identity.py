# identity: small ints and interned strings are shared; objects built at run time are not.
# The source of `arenascope demo identity`; it runs unchanged in python3.
import sys

a = 123
b = 123
print("a is b ->", a is b)

x = int("1000")
y = int("1000")
print("x is y ->", x is y)
print("x == y ->", x == y)

x = int("256")
y = int("256")
print("x is y ->", x is y)
x = int("257")
y = int("257")
print("x is y ->", x is y)

s1 = "python"
s2 = "python"
print("s1 is s2 ->", s1 is s2)

s3 = "".join(["py", "thon"])
print("s3 is s1 ->", s3 is s1)

s4 = sys.intern(s3)
print("s4 is s1 ->", s4 is s1)

del a, b, x, y, s1, s2, s3, s4
