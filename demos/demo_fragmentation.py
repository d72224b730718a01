# fragmentation: a few survivors pin every arena.
# The source of `arenascope demo fragmentation`; it runs unchanged in python3.
blocks = [object() for _ in range(300_000)]

survivors = {id(b): b for b in blocks[::1000]}
del blocks

print(len(survivors), "survivors of 16 bytes hold the arenas above")

survivors.clear()

del survivors
