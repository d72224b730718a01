# layers: small requests go to pymalloc's pools, large ones to the C library's malloc.
# The source of `arenascope demo layers`; it runs unchanged in python3.
import ctypes
import gc
import sys

# pymalloc serves requests of 1 to 512 bytes, from blocks of a multiple of 16 bytes;
# a request of 0 bytes or of more than 512 goes to the C library's malloc.
ALIGNMENT = 16
SMALL_REQUEST_THRESHOLD = 512

# C code asks the allocator for bytes itself; ctypes lets Python do the same.
PyObject_Malloc = ctypes.pythonapi.PyObject_Malloc
PyObject_Malloc.restype = ctypes.c_void_p
PyObject_Malloc.argtypes = [ctypes.c_size_t]
PyObject_Free = ctypes.pythonapi.PyObject_Free
PyObject_Free.restype = None
PyObject_Free.argtypes = [ctypes.c_void_p]


def show(what, request):
    if 0 < request <= SMALL_REQUEST_THRESHOLD:
        block = (request + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT
        print(f"{what}: {request} bytes requested, {block}-byte block (class {block // ALIGNMENT - 1})")
    else:
        print(f"{what}: {request} bytes requested, served by malloc")


x = float("1.5")
show("float", sys.getsizeof(x))

s = "x" * int("600")
show("str", sys.getsizeof(s))

l = list(range(10))

for i in range(10, 100):
    l.append(i)
slots = (sys.getsizeof(l) - sys.getsizeof([])) // 8
print(f"list items: {slots} slots = {slots * 8} bytes, above {SMALL_REQUEST_THRESHOLD}: malloc")

p = PyObject_Malloc(0)
show("PyObject_Malloc(0)", 0)
PyObject_Free(p)

del x

del s
del l

print("gc.collect() ->", gc.collect())
