#!/usr/bin/env python3
"""check_trace_events.py FILE - checks a Chrome trace event file (JSON object format) against the
format's rules, then prints what it holds, one "key=value" a line, for the caller to compare
with the model.

Rules checked: a JSON object with a "traceEvents" array; every event has name, ph, ts, pid and
tid; ph is one this format defines; ts is a number >= 0; X events have a numeric dur >= 0; the X
slices of a thread nest (none overlaps another partly); B and E balance and nest per thread;
counters (C) have a non-empty args object of numbers; instants (i) have a scope of g, p or t;
timestamps never decrease along a counter track, nor along a thread's instants and slices as
written.  Exit status 1 with the first broken rule on stderr.

Printed: C|NAME|ARG=last value, samples|NAME=samples of the track, X|CAT=slices of a category,
i|NAME=instants of a name, ts_min=, ts_max=, events=.
"""
import json
import sys
from collections import defaultdict

PHASES = {"B", "E", "X", "i", "I", "C", "M", "b", "e", "n", "s", "t", "f", "P", "O", "N", "D", "R", "c"}


def fail(msg):
    print("check_trace_events: " + msg, file=sys.stderr)
    sys.exit(1)


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def main(path):
    with open(path) as f:
        doc = json.load(f)
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
        fail("not an object with a traceEvents array")
    events = doc["traceEvents"]
    last_ts = {}
    slices = defaultdict(list)
    open_b = defaultdict(list)
    counters = {}
    samples = defaultdict(int)
    x_by_cat = defaultdict(int)
    instants = defaultdict(int)
    ts_min, ts_max = None, None
    for i, e in enumerate(events):
        where = "event %d" % i
        for k in ("name", "ph", "ts", "pid", "tid"):
            if k not in e:
                fail("%s: no %s: %r" % (where, k, e))
        ph, ts = e["ph"], e["ts"]
        if ph not in PHASES:
            fail("%s: unknown ph %r" % (where, ph))
        if not is_num(ts) or ts < 0:
            fail("%s: bad ts %r" % (where, ts))
        if not isinstance(e["name"], str):
            fail("%s: name is not a string" % where)
        if ph == "M":
            continue
        ts_min = ts if ts_min is None else min(ts_min, ts)
        ts_max = ts if ts_max is None else max(ts_max, ts)
        thread = (e["pid"], e["tid"])
        if ph == "C":
            track = (e["pid"], e["name"])
            args = e.get("args")
            if not isinstance(args, dict) or not args:
                fail("%s: counter without args" % where)
            for k, v in args.items():
                if not is_num(v):
                    fail("%s: counter %s: %r is not a number" % (where, k, v))
            key = ("C", track)
            if ts < last_ts.get(key, 0):
                fail("%s: counter %s goes back in time (%s after %s)" % (where, e["name"], ts, last_ts[key]))
            last_ts[key] = ts
            counters[e["name"]] = args
            samples[e["name"]] += 1
            continue
        key = ("T", thread)
        if ts < last_ts.get(key, 0):
            fail("%s: thread %r goes back in time (%s after %s)" % (where, thread, ts, last_ts[key]))
        last_ts[key] = ts
        if ph == "X":
            dur = e.get("dur")
            if not is_num(dur) or dur < 0:
                fail("%s: X event with dur %r" % (where, dur))
            slices[thread].append((ts, ts + dur, i))
            x_by_cat[e.get("cat", "")] += 1
        elif ph == "B":
            open_b[thread].append(e["name"])
        elif ph == "E":
            if not open_b[thread]:
                fail("%s: E without a B on thread %r" % (where, thread))
            open_b[thread].pop()
        elif ph in ("i", "I"):
            if e.get("s", "t") not in ("g", "p", "t"):
                fail("%s: instant with scope %r" % (where, e.get("s")))
            instants[e["name"]] += 1
    for thread, names in open_b.items():
        if names:
            fail("thread %r: B %r never ends" % (thread, names[-1]))
    for thread, xs in slices.items():
        xs.sort(key=lambda s: (s[0], -s[1], s[2]))
        stack = []
        for start, end, i in xs:
            while stack and stack[-1][1] <= start:
                stack.pop()
            if stack and end > stack[-1][1]:
                fail("event %d: slice [%s, %s] overlaps [%s, %s] on thread %r without nesting"
                     % (i, start, end, stack[-1][0], stack[-1][1], thread))
            stack.append((start, end))
    for name, args in counters.items():
        for k, v in args.items():
            print("C|%s|%s=%d" % (name, k, v))
    for name, n in samples.items():
        print("samples|%s=%d" % (name, n))
    for cat, n in x_by_cat.items():
        print("X|%s=%d" % (cat, n))
    for name, n in instants.items():
        print("i|%s=%d" % (name, n))
    print("ts_min=%d" % (ts_min or 0))
    print("ts_max=%d" % (ts_max or 0))
    print("events=%d" % len(events))


if __name__ == "__main__":
    main(sys.argv[1])
