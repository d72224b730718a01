# json_doc.py - a large JSON document (an order export: 20,000 orders with their lines and
# addresses) dumped to text, loaded back and summed, as a web service does.
import json

orders = []
for i in range(20_000):
    orders.append({
        "id": "ord-%06d" % i,
        "customer": {"name": "Customer %d" % (i % 5000), "email": "c%d@example.com" % (i % 5000),
                     "address": {"street": "%d Main St" % i, "city": "Town %d" % (i % 300), "zip": "%05d" % i}},
        "lines": [{"sku": "SKU-%d" % ((i * 7 + k) % 9000), "qty": k + 1, "price": round(1.5 * (k + i % 13), 2)}
                  for k in range(i % 5 + 1)],
        "paid": i % 3 != 0,
    })
text = json.dumps({"orders": orders})
back = json.loads(text)
total = sum(l["qty"] * l["price"] for o in back["orders"] for l in o["lines"])
print(len(text), len(back["orders"]), round(total, 2))
