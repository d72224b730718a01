# arena-lifecycle: arenas are obtained, returned, and the last kept.
# The source of `arenascope demo arena-lifecycle`; it runs unchanged in python3.
import sys

# CPython 3.10 and later on 64-bit systems; 3.9 and earlier: arenas of 256 KiB, pools of 4 KiB
ARENA_SIZE = 1024 * 1024 if sys.version_info >= (3, 10) else 256 * 1024
POOL_SIZE = 16 * 1024 if sys.version_info >= (3, 10) else 4 * 1024
POOL_OVERHEAD = 48  # a pool's header
SIZE = 512  # the largest size class
PER_ARENA = (POOL_SIZE - POOL_OVERHEAD) // SIZE * (ARENA_SIZE // POOL_SIZE)


def new_block():
    # a bytes object of SIZE bytes in all: its header and final zero take sys.getsizeof(b"")
    return bytes(SIZE - sys.getsizeof(b""))


blocks = [new_block()]

for _ in range(PER_ARENA):
    blocks.append(new_block())
print(f"{len(blocks)} blocks of {SIZE} bytes")

del blocks[PER_ARENA:]

blocks.clear()

again = new_block()

del again
