# pool-lifecycle: a pool goes untouched, used, full, used again, empty.
# The source of `arenascope demo pool-lifecycle`; it runs unchanged in python3.
import sys

POOL_SIZE = 16 * 1024 if sys.version_info >= (3, 10) else 4 * 1024  # 64-bit systems
POOL_OVERHEAD = 48  # the pool's header
SIZE = 512  # the largest size class
PER_POOL = (POOL_SIZE - POOL_OVERHEAD) // SIZE


def new_block(size=SIZE):
    # a bytes object of `size` bytes in all: its header and final zero take sys.getsizeof(b"")
    return bytes(size - sys.getsizeof(b""))


blocks = []

blocks.append(new_block())
print(f"one pool holds {PER_POOL} blocks of {SIZE} bytes")

for _ in range(PER_POOL - 1):
    blocks.append(new_block())

blocks[PER_POOL // 2] = None

blocks[PER_POOL // 2] = new_block()

blocks.clear()

small = new_block(64)

del small
