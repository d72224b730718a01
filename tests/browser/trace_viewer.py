#!/usr/bin/env python3
"""The Perfetto export (`arenascope export --format perfetto`) opened by a viewer of the format,
in a real browser.

    trace_viewer.py ARENASCOPE TRACE SPEEDSCOPE    (the browser: $CHROMIUM, else chromium on PATH)

SPEEDSCOPE is the folder of the speedscope npm package (pinned in package.json here), a flame
graph viewer whose importer reads Chrome's trace event format; ui.perfetto.dev itself is a web
site, not a package.  The trace is exported, handed to speedscope's own page as its command line
tool hands a file (a script calling speedscope.loadFileFromBase64, named in the address), and
the page is opened in headless Chromium (cdp.py).  Checks, printed as TAP: the importer reads
the file as trace events, without a warning (it warns of a slice that ends while one opened
after it is still open, of an end with nothing open, of a slice left open); it makes one profile
for each thread with slices, named by the thread_name records; the sandwich view of the step
markers lists every step, named by its label, for as many microseconds as the trace has events
from its marker to the next; that of the collections has them for as long as from each gc_start
to its gc_end, and the phases for as long as from each collection's first phase to its end;
nothing is fetched but speedscope's own files and the script; no error in the console.  What
is expected is read from the trace with `arenascope dump --json`.
"""
import json
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True  # nothing written beside the sources
import speedscope  # noqa: E402
from cdp import Tap, session  # noqa: E402
from speedscope import SANDWICH, sandwich  # noqa: E402

UNITS = {"ns": 1e-3, "µs": 1.0, "us": 1.0, "ms": 1e3, "s": 1e6, "min": 60e6}


def micros(text):
    """"14.35ms (76%)" as microseconds, and how far the printed figure may be from the value."""
    m = re.match(r"\s*([0-9.]+)\s*(ns|µs|us|ms|s|min)\b", text)
    if not m:
        raise ValueError("not a duration: %r" % text)
    decimals = len(m.group(1).split(".")[1]) if "." in m.group(1) else 0
    unit = UNITS[m.group(2)]
    return float(m.group(1)) * unit, 0.5 * 10 ** -decimals * unit


def expected(arenascope, trace):
    """From the trace's events: each step's label and length, the collections' and phases' total."""
    out = subprocess.run([arenascope, "dump", "--json", trace], check=True, capture_output=True).stdout
    events = [json.loads(line) for line in out.decode().splitlines()]
    count = len(events)
    marks = [e for e in events if e["kind"] == "step"]
    steps = []
    for i, e in enumerate(marks):
        end = marks[i + 1]["seq"] if i + 1 < len(marks) else count
        steps.append((e["number"], e["label"], end - e["seq"]))
    collections, phases, start, first_phase = 0, 0, None, None
    for e in events:
        if e["kind"] == "gc_start":
            start, first_phase = e["seq"], None
        elif e["kind"] == "gc_phase" and start is not None and first_phase is None:
            first_phase = e["seq"]
        elif e["kind"] == "gc_end" and start is not None:
            collections += e["seq"] - start
            phases += e["seq"] - first_phase if first_phase is not None else 0
            start = None
    if start is not None:  # a collection still running at the end ends there
        collections += count - start
        phases += count - first_phase if first_phase is not None else 0
    return steps, collections, phases


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: trace_viewer.py ARENASCOPE TRACE SPEEDSCOPE")
    arenascope, trace, package = sys.argv[1:]
    page = speedscope.page(package)
    steps, gc_total, phase_total = expected(arenascope, trace)
    tap = Tap()

    def view(browser, tmp):
        tap.check(os.path.exists(page), "speedscope's page is there", page)
        tap.check(len(steps) >= 2 and gc_total > 0, "the trace has steps and a collection")
        exported = os.path.join(tmp, "trace.json")
        subprocess.run([arenascope, "export", "-f", "perfetto", "-o", exported, trace], check=True,
                       stdout=subprocess.DEVNULL)
        title = speedscope.open_file(browser, package, tmp, exported, "trace.json")
        tap.check(title, "speedscope opens the file")

        said = [text for _, text in speedscope.console(browser)]
        tap.check("Importing as Trace Event Format profile" in said, "read as trace events", "\n".join(said))
        warned = speedscope.warnings(browser)
        tap.check(not warned, "the importer warns of nothing (slices nest, nothing left open)", "\n".join(warned))

        # one profile a thread with slices: step markers (1/2), collections (2/2)
        bar = browser.wait_for("document.body.innerText.indexOf('(1/2)') >= 0 && document.body.innerText")
        tap.check(bar and "step markers (tid 1) (1/2)" in bar, "the first profile is the step markers, of 2", bar[:400])
        browser.key("3")  # the sandwich view: a table of every frame, its total and self time
        browser.wait_for(SANDWICH)
        rows, profiles = sandwich(browser)
        want = [("step markers (tid 1)", sum(n for _, _, n in steps)), ("collections (tid 2)", gc_total)]
        got = [(name.split(", ")[-1], micros(total)) for _, name, total in profiles]
        tap.check(len(got) == 2 and all(g[0] == w[0] and abs(g[1][0] - w[1]) <= g[1][1] for g, w in zip(got, want)),
                  "the profiles are the threads with slices, as long as their slices", "%s\nwant %s" % (got, want))
        by_name = {r[2]: micros(r[0]) for r in rows}
        for number, label, length in steps:
            name = '%s {"step":%d}' % (label, number)
            got = by_name.get(name)
            tap.check(got is not None and abs(got[0] - length) <= got[1],
                      "step %d lasts %d µs, its events" % (number, length), "%s: %s" % (name, got))
        tap.check(len(rows) == len(steps), "a row a step, no other", rows)

        browser.key("n")  # the next profile
        bar = browser.wait_for("document.body.innerText.indexOf('(2/2)') >= 0 && document.body.innerText")
        browser.wait_for(SANDWICH)
        tap.check(bar and "collections (tid 2) (2/2)" in bar, "the second profile is the collections", bar[:400])
        rows, profiles = sandwich(browser)
        gc = [micros(r[0]) for r in rows if r[2].startswith("collection of generation ")]
        ph = [micros(r[0]) for r in rows if not r[2].startswith("collection of generation ")]
        tap.check(gc and abs(sum(v for v, _ in gc) - gc_total) <= sum(e for _, e in gc),
                  "the collections last %d µs in all, from gc_start to gc_end" % gc_total, rows)
        tap.check(ph and abs(sum(v for v, _ in ph) - phase_total) <= sum(e for _, e in ph),
                  "the phases last %d µs in all, from the first to gc_end" % phase_total, rows)

        speedscope.check_kept_to_itself(tap, browser, package, tmp)

    return session(tap, view)


if __name__ == "__main__":
    sys.exit(main())
