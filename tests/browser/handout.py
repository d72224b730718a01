#!/usr/bin/env python3
"""The handout of `arenascope export --format html` in a real browser, as a student steps it.

    handout.py ARENASCOPE TRACE        (the browser: $CHROMIUM, else chromium on PATH)

exports TRACE as a handout, opens it in headless Chromium, and drives it over the DevTools
protocol on a pipe (--remote-debugging-pipe: the browser reads commands on fd 3 and writes
replies and events on fd 4, each a JSON text ended by a NUL).  Keys and clicks are sent as
input events, the way a person's reach the page.  Checks, printed as TAP: the page fetches
nothing (no request but the page itself, no resource entry; every host name is unresolvable
anyway), the first step is shown alone with its label and its screen, the arrow keys, Space,
Home, End and the four buttons show the step they should with its label and "step K of N",
the first and the last step stop there, the address follows (#step-K) and opens at that step,
and nothing is written to the console as an error.  The labels expected are the trace's own,
read with `arenascope dump --json`.
"""
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # nothing written beside the sources
from cdp import Tap, session  # noqa: E402


# What the student sees: the sections on screen, each with its label, heading and picture.
SHOWN = r"""(function(){
  var out = [];
  document.querySelectorAll('section').forEach(function(s){
    var r = s.getBoundingClientRect();
    if (getComputedStyle(s).display == 'none' || r.height == 0) return;
    var svg = s.querySelector('svg'), b = svg.getBoundingClientRect(), texts = svg.querySelectorAll('text');
    var inked = 0;
    texts.forEach(function(t){ if (t.getComputedTextLength() > 0) inked++; });
    var p = s.querySelector('p').getBoundingClientRect();
    out.push({id: s.id, label: s.querySelector('p').textContent, heading: s.querySelector('h2').textContent,
              svg: [b.width, b.height], svg_in_view: b.top < innerHeight && b.bottom > 0,
              label_in_view: p.top >= 0 && p.bottom <= innerHeight, texts: texts.length, inked: inked});
  });
  return {shown: out, where: document.getElementById('where').textContent, hash: location.hash};
})()"""


def trace_steps(arenascope, trace):
    """The step markers' labels, in order, as the trace holds them."""
    out = subprocess.run([arenascope, "dump", "--json", trace], check=True, capture_output=True).stdout
    steps = [json.loads(line) for line in out.decode().splitlines() if '"kind":"step"' in line]
    steps = [s for s in steps if s["kind"] == "step"]
    assert [s["number"] for s in steps] == list(range(1, len(steps) + 1)), "steps not numbered 1..N"
    return [s["label"] for s in steps]


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: handout.py ARENASCOPE TRACE")
    arenascope, trace = sys.argv[1], sys.argv[2]
    labels = trace_steps(arenascope, trace)
    n = len(labels)
    tap = Tap()

    def walk(browser, tmp):
        page = os.path.join(tmp, "handout.html")
        subprocess.run([arenascope, "export", "-f", "html", "-o", page, trace], check=True,
                       stdout=subprocess.DEVNULL)
        url = "file://" + page
        browser.navigate(url)

        def at(k, how):
            """Step k (1-based) is the one shown, with its label, its picture and "step k of n"."""
            s = browser.eval(SHOWN)
            shown = s["shown"]
            ok = (len(shown) == 1 and shown[0]["id"] == "step-%d" % k and shown[0]["label"] == labels[k - 1]
                  and shown[0]["heading"].startswith("Step %d of %d, event " % (k, n))
                  and s["where"] == "step %d of %d" % (k, n) and s["hash"] == "#step-%d" % k)
            pic = ok and shown[0]["svg"][0] > 0 and shown[0]["svg"][1] > 0 and shown[0]["svg_in_view"] \
                and shown[0]["label_in_view"] and shown[0]["texts"] > 0 and shown[0]["inked"] == shown[0]["texts"]
            return tap.check(ok and pic, "%s: step %d of %d shown, its label and screen" % (how, k, n),
                             json.dumps(s, indent=1) + "\nexpected label: " + labels[k - 1])

        tap.check(n >= 3, "the trace has steps to walk through (%d)" % n)
        at(1, "on opening")
        # a student walks through with the right arrow, reading each label
        for k in range(2, n + 1):
            browser.key("ArrowRight")
            at(k, "ArrowRight")
        browser.key("ArrowRight")
        at(n, "ArrowRight at the last step stays there")
        browser.key("ArrowLeft")
        at(n - 1, "ArrowLeft")
        browser.key("Home")
        at(1, "Home")
        browser.key("ArrowLeft")
        at(1, "ArrowLeft at the first step stays there")
        browser.key(" ")
        at(2, "Space")
        browser.key("PageDown")
        at(3, "PageDown")
        browser.key("PageUp")
        at(2, "PageUp")
        browser.key("ArrowDown")
        at(3, "ArrowDown")
        browser.key("ArrowUp")
        at(2, "ArrowUp")
        browser.key("End")
        at(n, "End")
        # the buttons, clicked
        browser.click("first")
        at(1, "the first-step button")
        browser.click("prev")
        at(1, "the previous button at the first step")
        browser.click("next")
        at(2, "the next button")
        # the button clicked keeps the focus: Space then steps once, not twice
        browser.key(" ")
        at(3, "Space after a click")
        browser.click("prev")
        at(2, "the previous button")
        browser.click("last")
        at(n, "the last-step button")
        browser.click("next")
        at(n, "the next button at the last step")
        # the address opens the step it names
        browser.navigate("about:blank")
        browser.navigate(url + "#step-%d" % (n - 1))
        at(n - 1, "opened at #step-%d" % (n - 1))

        requests = browser.fetched()
        fetched = [u for u in requests if u.split("#")[0] not in (url, "about:blank")]
        tap.check(requests and not fetched, "nothing fetched but the page itself", "requests: %s" % requests)
        entries = browser.eval("performance.getEntriesByType('resource').map(function(e){return e.name})")
        tap.check(entries == [], "no resource entries", entries)
        errors = browser.console_errors()
        tap.check(not errors, "no error in the console", json.dumps(errors, indent=1))

    return session(tap, walk)


if __name__ == "__main__":
    sys.exit(main())
