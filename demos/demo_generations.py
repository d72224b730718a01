# generations: promotion, thresholds and the long-lived rule.
# The source of `arenascope demo generations`; it runs unchanged in python3.
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


saved = gc.get_threshold()
gc.collect()
a = []
b = []
c = []
print("gc.get_count() ->", gc.get_count())

print("gc.collect(0) ->", gc.collect(0))
print("gc.get_count() ->", gc.get_count())

print("gc.collect(1) ->", gc.collect(1))
print("gc.get_count() ->", gc.get_count())

C = [[[]]]
print("gc.collect(0) ->", gc.collect(0))

gc.set_threshold(5)
gc.callbacks.append(tally)
keep = []
for _ in range(6):
    keep.append([])
print_tally()

for _ in range(6 * 10):
    keep.append([])
print_tally()
print("gc.get_count() ->", gc.get_count())

for _ in range(6 * 11 * 11):
    keep.append([])
print_tally()

gc.callbacks.remove(tally)
gc.set_threshold(*saved)
del a, b, c, C, keep
