# dict_keys.py - an index of records under str keys, built, half deleted and refilled: the keys'
# strings, the records' small dicts and lists, the table's resizes.  argv[1]: how many records.
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
index = {}
for i in range(n):
    index["user:%06d" % i] = {"id": i, "name": "name%d" % i, "tags": ["t%d" % (i % 10)] * (i % 4)}
for i in range(0, n, 2):
    del index["user:%06d" % i]
for i in range(0, n, 3):
    index["session:%x" % (i * 7919)] = str(i) * (1 + i % 5)
names = sorted(k for k in index if k.startswith("user:"))[:10]
print(len(index), sum(len(k) for k in index), names[0], names[-1])
