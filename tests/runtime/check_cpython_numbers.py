# Runs the demos' Python snippets with the installed python3 and checks that CPython gives the
# numbers tests/runtime/cpython_numbers.h states (and test_runtime checks the runtime against).
# Prints TAP.  Skips when python3 is not CPython 3.11, whose numbers the table holds.
import re
import subprocess
import sys

snippets, table = sys.argv[1], sys.argv[2]
stated = dict(re.findall(r'X\((\w+), "([^"]*)"\)', open(table).read()))
if sys.version_info[:2] != (3, 11) or sys.implementation.name != "cpython":
    print("1..0 # SKIP python3 is not CPython 3.11")
    sys.exit(0)
run = subprocess.run([sys.executable, "-W", "ignore", snippets], capture_output=True, text=True)
if run.returncode != 0:
    print("1..1")
    print("not ok 1 - the snippets ran: " + run.stderr.strip().splitlines()[-1])
    sys.exit(0)
measured = dict(line.split(" ", 1) for line in run.stdout.splitlines() if line)
names = sorted(set(stated) | set(measured))
print(f"1..{len(names)}")
for i, name in enumerate(names, 1):
    got, want = measured.get(name), stated.get(name)
    if got == want:
        print(f"ok {i} - {name} {got}")
    else:
        print(f"not ok {i} - {name}: CPython gives {got}, the table states {want}")
