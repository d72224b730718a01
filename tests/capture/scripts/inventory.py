# inventory.py - a program a test checks the trace of against the program's own words: it prints
# the id() and sys.getsizeof() of the objects it keeps, and ends with the status argv[1] names.
import sys


class Item:
    def __init__(self, name, qty):
        self.name = name
        self.qty = qty


stock = [Item("item%d" % i, i) for i in range(3000)]  # pins: the items
blobs = [bytes(200 + 16 * i) for i in range(8)]  # pins: the blobs
for i in range(0, len(stock), 2):
    stock[i] = None
print("blobs", " ".join("%d:%d" % (id(b), sys.getsizeof(b)) for b in blobs))
print("items", " ".join(str(id(it)) for it in stock[1::300]))
print("done", sum(it.qty for it in stock if it))
sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
