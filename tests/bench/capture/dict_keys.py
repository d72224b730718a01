# dict_keys.py - a cache of 300,000 records under str keys, built, then half of it evicted and
# the rest read back: the strings, the small dicts and the table's resizes.
cache = {}
for i in range(300_000):
    cache["user:%07d:profile" % i] = {"id": i, "score": i % 97, "name": "user%d" % i}
for i in range(0, 300_000, 2):
    del cache["user:%07d:profile" % i]
total = 0
for key, rec in cache.items():
    total += rec["score"] + len(key)
print(len(cache), total)
