# linked.py - instances linked into trees whose children point back at their parents, dropped
# and collected as cycles; a long singly linked list kept.  argv[1]: how many nodes per round.
import gc
import sys


class Node:
    def __init__(self, value, parent=None):
        self.value = value
        self.parent = parent
        self.children = []


def tree(n):
    root = Node(0)
    level = [root]
    made = 1
    while made < n:
        nxt = []
        for p in level:
            for _ in range(3):
                c = Node(made, p)
                p.children.append(c)
                nxt.append(c)
                made += 1
        level = nxt
    return root


n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
collected = []
for r in range(4):
    t = tree(n)
    del t
    collected.append(gc.collect())
head = None
for i in range(n):
    node = Node(i)
    node.parent = head
    head = node
length = 0
while head is not None:
    length += 1
    head = head.parent
print("collected", collected, "list", length, "counts", gc.get_count()[1:])
