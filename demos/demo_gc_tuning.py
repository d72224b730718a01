# gc-tuning: thresholds versus collections, disable, freeze.
# The source of `arenascope demo gc-tuning`; it runs unchanged in python3.
import gc

by_gen = [0] * len(gc.get_count())
examined = 0


def tally(phase, info):
    global examined
    if phase == "start":
        by_gen[info["generation"]] += 1
        for g in range(info["generation"] + 1):
            examined += len(gc.get_objects(g))


def print_tally():
    # strings only: a list or a generator here would count toward the next collection
    gens = ""
    for g in range(len(by_gen)):
        gens += f"{', ' if g else ''}generation {g}: {by_gen[g]}"
    print(f"automatic collections: {gens}; objects examined: {examined}")


def build(n):
    global examined
    by_gen[:] = [0] * len(by_gen)
    examined = 0
    gc.callbacks.append(tally)
    keep = []
    for _ in range(n):
        keep.append([])
    gc.callbacks.remove(tally)
    print_tally()
    del keep
    gc.collect()


saved = gc.get_threshold()
gc.collect()

build(10000)

gc.set_threshold(10000)
build(10000)

gc.set_threshold(100)
build(10000)
gc.set_threshold(*saved)

gc.disable()
build(10000)
print("gc.isenabled() ->", gc.isenabled())
gc.enable()

keep = []
for _ in range(1000):
    keep.append([])
gc.freeze()
print("gc.get_freeze_count() ->", gc.get_freeze_count())
print("gc.get_count() ->", gc.get_count())

by_gen[:] = [0] * len(by_gen)
examined = 0
gc.callbacks.append(tally)
print("gc.collect() ->", gc.collect())
gc.callbacks.remove(tally)
print("objects examined:", examined)

gc.unfreeze()
print("gc.get_freeze_count() ->", gc.get_freeze_count())
del keep
