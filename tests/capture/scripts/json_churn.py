# json_churn.py - a document of records dumped to JSON text and loaded back, then lists churned:
# appended, sliced, sorted, popped.  argv[1]: how many records.
import json
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 4000
doc = {"version": 3, "items": [{"id": i, "name": "item-%d" % i, "price": i * 0.25,
                                "tags": ["a", "b", str(i % 17)], "ok": i % 3 == 0} for i in range(n)]}
text = json.dumps(doc, indent=1, sort_keys=True)
back = json.loads(text)
assert back == doc
queue = []
for i in range(n * 5):
    queue.append((i * 37) % 1009)
    if len(queue) > 500:
        queue = sorted(queue[100:])
    if i % 7 == 0:
        queue.pop()
print(len(text), len(back["items"]), len(queue), sum(queue))
