# size-classes: requests are rounded up to 16-byte size classes.
# The source of `arenascope demo size-classes`; it runs unchanged in python3.
import ctypes
import sys

# pymalloc serves requests of 1 to 512 bytes from blocks of a multiple of 16 bytes: a request
# takes the smallest block that holds it, and blocks of one size make one size class.
ALIGNMENT = 16
SMALL_REQUEST_THRESHOLD = 512

# C code asks the allocator for bytes itself; ctypes lets Python do the same.
PyObject_Malloc = ctypes.pythonapi.PyObject_Malloc
PyObject_Malloc.restype = ctypes.c_void_p
PyObject_Malloc.argtypes = [ctypes.c_size_t]
PyObject_Free = ctypes.pythonapi.PyObject_Free
PyObject_Free.restype = None
PyObject_Free.argtypes = [ctypes.c_void_p]

used = set()  # the size classes these requests take


def show(what, request):
    if 0 < request <= SMALL_REQUEST_THRESHOLD:
        block = (request + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT
        used.add(block // ALIGNMENT - 1)
        print(f"{what}: {request} bytes requested, {block}-byte block (class {block // ALIGNMENT - 1})")
    else:
        print(f"{what}: {request} bytes requested, served by malloc")


blocks = [PyObject_Malloc(1)]
show("PyObject_Malloc(1)", 1)

for n in (16, 17):
    blocks.append(PyObject_Malloc(n))
    show(f"PyObject_Malloc({n})", n)

for n in (33, 40, 48):
    blocks.append(PyObject_Malloc(n))
    show(f"PyObject_Malloc({n})", n)

i = int("1000")
l = []
show("int 1000", sys.getsizeof(i))
show("[]", sys.getsizeof(l))

for n in (SMALL_REQUEST_THRESHOLD, SMALL_REQUEST_THRESHOLD + 1):
    blocks.append(PyObject_Malloc(n))
    show(f"PyObject_Malloc({n})", n)

print("size classes in use:", sorted(used))

for p in blocks:
    PyObject_Free(p)
del i, l
