# domains: PyMem_RawMalloc, PyMem_Malloc and PyObject_Malloc, and which allocator serves each.
# The source of `arenascope demo domains`; it runs unchanged in python3.
import ctypes
import gc
import sys

api = ctypes.pythonapi
libc = ctypes.CDLL(None)
for family in ("PyMem_Raw", "PyMem_", "PyObject_"):
    malloc, free = getattr(api, family + "Malloc"), getattr(api, family + "Free")
    malloc.restype, malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    free.restype, free.argtypes = None, [ctypes.c_void_p]
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.restype, libc.free.argtypes = None, [ctypes.c_void_p]


def pymalloc_blocks(malloc, n):
    """The request, and how many more blocks the object allocator counts after it."""
    before = sys.getallocatedblocks()
    p = malloc(n)
    return p, sys.getallocatedblocks() - before


# The call itself makes two ints (before and p): the C library's malloc shows what that costs,
# from its second call (the first sets up what ctypes and the interpreter set up once).
# A collection in the middle of a measurement would move the count: none runs here.
gc.disable()
for warm in (False, True):
    p, own = pymalloc_blocks(libc.malloc, 32)
    libc.free(p)

raw, blocks = pymalloc_blocks(api.PyMem_RawMalloc, 32)
print("PyMem_RawMalloc(32) -> sys.getallocatedblocks() grew by", blocks - own)

mem, blocks = pymalloc_blocks(api.PyMem_Malloc, 32)
print("PyMem_Malloc(32) -> sys.getallocatedblocks() grew by", blocks - own)

obj, blocks = pymalloc_blocks(api.PyObject_Malloc, 32)
print("PyObject_Malloc(32) -> sys.getallocatedblocks() grew by", blocks - own)

big, blocks = pymalloc_blocks(api.PyMem_Malloc, 600)
print("PyMem_Malloc(600) -> sys.getallocatedblocks() grew by", blocks - own)

api.PyMem_Free(big)
api.PyObject_Free(obj)
api.PyMem_Free(mem)
api.PyMem_RawFree(raw)
print("PyMem_RawFree, PyMem_Free, PyObject_Free: each block back to its own family")
gc.enable()
