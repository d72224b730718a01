#!/usr/bin/env python3
"""The folded stacks of `arenascope export --format collapsed` opened by speedscope, in a real
browser.

    collapsed_viewer.py ARENASCOPE TRACE AT SCRIPT SPEEDSCOPE   (the browser: $CHROMIUM, else chromium)

TRACE is a real Python program's trace, with stacks; AT a position in it (program-end);
SCRIPT the file name of the program's Python script (slide.py).  The live bytes at AT by
allocation stack are exported and opened in speedscope (SPEEDSCOPE, the npm package's folder;
speedscope.py here) in headless Chromium (cdp.py), in its sandwich view: a table of every
frame with its total (the weight of the stacks it is in) and its self (of those it ends).
Checks, printed as TAP: every line of the file is `outer;...;inner BYTES`; the page reads it
as folded stacks, and warns of nothing; the selves of all the frames, which add up to the
weight of every stack the page read, are the live block bytes plus the raw bytes that
`arenascope stats --json` reports at the same position (the page skips a line it cannot read
without a word, so a line lost shows here); the page lists the frames the file names, no
other, each with the total and the self the file's lines give it (summed here, a frame
counted once a line); the program's own lines (the frames in SCRIPT) are among them; nothing
is fetched but speedscope's own files and the script; no error in the console.
"""
import json
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True  # nothing written beside the sources
import speedscope  # noqa: E402
from cdp import Tap, session  # noqa: E402


def stats_total(arenascope, trace, at):
    """The live bytes at `at` by `stats --json`: the pools' allocated blocks and the raw blocks."""
    out = subprocess.run([arenascope, "stats", "--json", "--at", at, trace], check=True,
                         capture_output=True).stdout
    heap = json.loads(out)["heap"]
    return heap["bytes"]["allocated"] + heap["raw"]["bytes"]


def frames(path):
    """From the file's lines (`outer;...;inner BYTES`): each frame's total and self; and the
    lines that are not of that form, "file:line: text" each."""
    total, own, bad = {}, {}, []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            m = re.fullmatch(r"(.+) ([0-9]+)\n?", line)
            if not m:
                bad.append("%s:%d: %r" % (path, number, line))
                continue
            names, value = m.group(1).split(";"), int(m.group(2))
            for name in set(names):
                total[name] = total.get(name, 0) + value
            own[names[-1]] = own.get(names[-1], 0) + value
    return {name: (t, own.get(name, 0)) for name, t in total.items()}, bad


def main():
    if len(sys.argv) != 6:
        sys.exit("usage: collapsed_viewer.py ARENASCOPE TRACE AT SCRIPT SPEEDSCOPE")
    arenascope, trace, at, script, package = sys.argv[1:]
    live = stats_total(arenascope, trace, at)
    tap = Tap()

    def view(browser, tmp):
        tap.check(os.path.exists(speedscope.page(package)), "speedscope's page is there", speedscope.page(package))
        exported = os.path.join(tmp, "live.txt")
        subprocess.run([arenascope, "export", "-f", "collapsed", "--at", at, "-o", exported, trace], check=True,
                       stdout=subprocess.DEVNULL)
        want, bad = frames(exported)
        tap.check(want and not bad, "the file is %d lines of `outer;...;inner BYTES`" % len(open(exported).readlines()),
                  "\n".join(bad[:10]))
        title = speedscope.open_file(browser, package, tmp, exported, "live.txt", view="sandwich")
        tap.check(title, "speedscope opens the file")
        said = [text for _, text in speedscope.console(browser)]
        tap.check("Importing as collapsed stack format" in said, "read as folded stacks", "\n".join(said))
        warned = speedscope.warnings(browser)
        tap.check(not warned, "the page warns of nothing", "\n".join(warned))

        tap.check(browser.wait_for(speedscope.SANDWICH), "the sandwich view shows frames")
        shown = {name: (speedscope.count(t), speedscope.count(s)) for name, (t, s) in speedscope.all_rows(browser).items()}
        weight = sum(s for _, s in shown.values())
        tap.check(weight == live, "the frames' selves add up to %d bytes, the live block and raw bytes `stats` "
                  "reports at %s" % (live, at), "the page shows %d" % weight)
        missing = sorted(set(want) - set(shown))
        extra = sorted(set(shown) - set(want))
        tap.check(not missing and not extra, "the page lists the %d frames of the file, no other" % len(want),
                  "missing %s\nextra %s" % (missing[:10], extra[:10]))
        wrong = ["%s: shown %s, the lines give %s" % (n, shown[n], want[n])
                 for n in sorted(want) if n in shown and shown[n] != want[n]]
        tap.check(shown and not wrong, "each frame's total and self are what the file's lines give",
                  "\n".join(wrong[:10]))
        own = sorted(n for n in want if "/%s:" % script in n or "(%s:" % script in n)
        tap.check(own and all(shown.get(n) == want[n] for n in own),
                  "the program's own lines are there: %s" % ", ".join("%s %d" % (n, want[n][0]) for n in own[:3]),
                  "\n".join("%s: %s" % (n, shown.get(n)) for n in own))

        speedscope.check_kept_to_itself(tap, browser, package, tmp)

    return session(tap, view)


if __name__ == "__main__":
    sys.exit(main())
