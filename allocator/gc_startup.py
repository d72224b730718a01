# Measures the tracked objects each CPython version starts with, and writes allocator/gc_startup.c,
# the table the runtime's collector takes them from (allocator/gc.c, "The interpreter's own
# objects").  Run it with any python3:
#
#     python3 allocator/gc_startup.py allocator/gc_startup.c          # measure and write
#     python3 allocator/gc_startup.py --check allocator/gc_startup.c  # measure again, compare (TAP)
#
# For each version of runtime_layout.c's table it runs the interpreter Debian installs
# (/usr/bin/pythonX.Y), else pyenv's ($(pyenv root)/versions/X.Y.*), twice: as a program runs
# (-I: isolated, with the site module; 2.7: -E -s) and bare (-S, no site).  Each run reports
#   start       gc.get_count() before anything else
#   collected   the size of each generation after `import gc; gc.collect()`
#   permanent   gc.get_freeze_count() then (3.7+): 3.12 starts with objects frozen
#   frozen      gc.get_freeze_count() after gc.freeze() (3.7+)
# The runtime's start-up population is the first run's: the oldest generation's size after the
# collection, and the permanent generation's.  Versions before 3.8 have no gc.get_objects(g): the
# size of every generation together stands for the oldest (the youngest then holds the one or two
# objects the measuring code made since the collection).
import glob
import os
import subprocess
import sys

VERSIONS = ["2.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]

PROBE = """
import gc, sys
start = gc.get_count()
gc.collect()
if sys.version_info >= (3, 8):
    sizes = [len(gc.get_objects(g)) for g in range(len(start))]
else:
    sizes = [0, 0, len(gc.get_objects())]
frozen = permanent = -1
if hasattr(gc, "freeze"):
    permanent = gc.get_freeze_count()
    gc.freeze()
    frozen = gc.get_freeze_count()
    gc.unfreeze()
print("%d.%d.%d" % sys.version_info[:3])
print(" ".join(str(n) for n in start))
print(" ".join(str(n) for n in sizes))
print("%d %d" % (permanent, frozen))
"""


def interpreter(version):
    debian = "/usr/bin/python" + version
    if os.access(debian, os.X_OK):
        return debian
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    found = sorted(glob.glob(os.path.join(root, "versions", version + ".*", "bin", "python" + version)))
    return found[-1] if found else None


def where(python):
    return python if python.startswith("/usr/") else "pyenv " + python.split(os.sep)[-3]


def probe(python, version, bare):
    flags = ["-E", "-s"] if version.startswith("2.") else ["-I"]
    if bare:
        flags.append("-S")
    out = subprocess.run([python] + flags + ["-c", PROBE], capture_output=True, text=True, check=True)
    lines = out.stdout.split("\n")
    return {
        "full": lines[0],
        "start": [int(n) for n in lines[1].split()],
        "collected": [int(n) for n in lines[2].split()],
        "permanent": int(lines[3].split()[0]),
        "frozen": int(lines[3].split()[1]),
    }


def measure():
    rows = []
    for v in VERSIONS:
        python = interpreter(v)
        if python:
            rows.append((v, python, probe(python, v, False), probe(python, v, True)))
    return rows


def figures(m):
    t = lambda xs: "(" + ", ".join(str(x) for x in xs) + ")"
    return "%-18s %-18s %5d %7d" % (t(m["start"]), t(m["collected"]), m["permanent"], m["frozen"])


def render(rows):
    out = []
    w = out.append
    w("/*")
    w(" * gc_startup.c - the tracked objects each CPython version starts with, as the runtime's collector")
    w(" * counts them (allocator/gc.c, \"The interpreter's own objects\").  Written by")
    w(" * allocator/gc_startup.py, which measured them; do not edit by hand.")
    w(" *")
    w(" * Each interpreter ran `import gc; gc.collect()` first thing, isolated (-I; 2.7: -E -s), then")
    w(" * bare (-S, without the site module).  start is gc.get_count() before the collection, collected")
    w(" * each generation's size after it (before 3.8 all generations together, counted as the oldest),")
    w(" * permanent gc.get_freeze_count() then, frozen gc.get_freeze_count() after gc.freeze().")
    w(" *")
    w(" *   version  interpreter                     run   start              collected          permanent frozen")
    for v, python, site, bare in rows:
        for name, m in (("-I", site), ("-S", bare)):
            w(" *   %-8s %-31s %-5s %s" % (m["full"], where(python), name, figures(m)))
    w(" *")
    w(" * The runtime starts with the -I run's: the oldest generation's size and the permanent's.")
    w(" */")
    w('#include "runtime_private.h"')
    w("")
    w("#include <string.h>")
    w("")
    w("static const struct gc_startup startup[] = {")
    for v, python, site, bare in rows:
        oldest = site["collected"][-1]
        permanent = max(site["permanent"], 0)
        w('    {.layout = "cpython-%s", .version = "%s", .oldest = %d, .permanent = %d},' %
          (v, site["full"], oldest, permanent))
    w("};")
    w("")
    w("const struct gc_startup *gc_startup_find(const char *layout)")
    w("{")
    w("    for (size_t i = 0; i < sizeof startup / sizeof startup[0]; i++)")
    w("        if (strcmp(startup[i].layout, layout) == 0)")
    w("            return &startup[i];")
    w("    return NULL;")
    w("}")
    return "\n".join(out) + "\n"


def check(path):
    """TAP: each row of the file whose interpreter is installed, in the same version, measured again."""
    text = open(path).read()
    rows = measure()
    print("1..%d" % len(VERSIONS))
    for i, v in enumerate(VERSIONS, 1):
        row = [r for r in rows if r[0] == v]
        if not row:
            print("ok %d - cpython-%s # SKIP no python%s installed" % (i, v, v))
            continue
        _, python, site, _ = row[0]
        if '.version = "%s"' % site["full"] not in text:
            print("ok %d - cpython-%s # SKIP %s is %s, not the version measured" % (i, v, python, site["full"]))
            continue
        want = '{.layout = "cpython-%s", .version = "%s", .oldest = %d, .permanent = %d},' % (
            v, site["full"], site["collected"][-1], max(site["permanent"], 0))
        if want in text:
            print("ok %d - cpython-%s %s" % (i, v, want))
        else:
            print("not ok %d - cpython-%s: %s measures %s" % (i, v, python, want))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        check(sys.argv[2])
    elif len(sys.argv) == 2:
        text = render(measure())
        with open(sys.argv[1], "w") as f:
            f.write(text)
    else:
        sys.exit("usage: gc_startup.py [--check] allocator/gc_startup.c")
