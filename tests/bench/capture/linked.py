# linked.py - 200,000 instances in a doubly linked list (an LRU order), walked, reordered and
# half unlinked; the survivors are dropped with their cycles left to the collector.
import gc


class Node:
    def __init__(self, key, value):
        self.key = key
        self.value = value
        self.prev = None
        self.next = None


head = tail = None
for i in range(200_000):
    n = Node(i, str(i))
    if tail is None:
        head = tail = n
    else:
        tail.next = n
        n.prev = tail
        tail = n
n, count = head, 0
while n is not None:
    nxt = n.next
    if n.key % 2:
        if n.prev:
            n.prev.next = n.next
        if n.next:
            n.next.prev = n.prev
    else:
        count += 1
    n = nxt
head = tail = n = nxt = None
print(count, gc.collect())
