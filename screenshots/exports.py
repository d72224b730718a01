#!/usr/bin/env python3
"""The exports of `arenascope export` as speedscope shows them, drawn by headless Chromium.

    screenshots/exports.py ARENASCOPE SPEEDSCOPE      (run from the source root by make.sh)

SPEEDSCOPE is the folder of the speedscope npm package that tests/browser pins (meson installs
it into BUILD/tests/browser/npm/node_modules).  The page is driven as the browser tests drive it
(tests/browser/cdp.py and speedscope.py), and what it shows is written to
  screenshots/export-perfetto.png   the Perfetto export of traces/demo-cycles.trace in the time
                                    order view: the step markers' profile above, the
                                    collections' (with their phases) below
  screenshots/export-collapsed.png  the collapsed export of traces/program-slide.trace at
                                    program-end in the left heavy view (a flame graph)
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # nothing written beside the sources
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "browser"))
import speedscope  # noqa: E402
from cdp import Browser  # noqa: E402

WIDTH = 1000  # CSS pixels: read at the README's width with little scaling


def drawn(browser, name, png, height):
    """The page, once it has drawn name's profile, as png: its top, height pixels."""
    if not browser.wait_for("document.body.innerText.indexOf(%s) >= 0" % json.dumps(name), 30):
        raise RuntimeError("speedscope does not show %s" % name)
    time.sleep(1.0)  # the flame chart is drawn by WebGL, after the page's text
    browser.screenshot(png, WIDTH, height)


def stacked(browser, folder, pngs, heights, out):
    """The pictures one above the other, a grey line between, as out."""
    page = os.path.join(folder, "stacked.html")
    with open(page, "w") as f:
        f.write("<!doctype html><body style='margin:0;overflow:hidden;background:#999'>%s</body>"
                % "".join("<img src='%s' style='display:block;margin-top:%dpx'>" % (p, 2 if i else 0)
                          for i, p in enumerate(pngs)))
    browser.size(WIDTH, sum(heights) + 2 * (len(heights) - 1))
    browser.navigate("file://" + page)
    browser.screenshot(out)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: screenshots/exports.py ARENASCOPE SPEEDSCOPE")
    arenascope, package = sys.argv[1:]
    folder = tempfile.mkdtemp(prefix="arenascope-screenshots-")
    browser = None
    try:
        browser = Browser(folder)
        browser.open_page()
        exported = os.path.join(folder, "demo-cycles.json")
        subprocess.run([arenascope, "export", "-f", "perfetto", "-o", exported, "traces/demo-cycles.trace"],
                       check=True, stdout=subprocess.DEVNULL)
        browser.size(WIDTH, 600)
        speedscope.open_file(browser, package, folder, exported, "demo-cycles.json", view="time-ordered")
        parts = [os.path.join(folder, "steps.png"), os.path.join(folder, "collections.png")]
        heights = [170, 186]
        drawn(browser, "step markers (tid 1)", parts[0], heights[0])
        browser.key("n")  # the next profile: the collections
        drawn(browser, "collections (tid 2)", parts[1], heights[1])
        stacked(browser, folder, parts, heights, "screenshots/export-perfetto.png")

        exported = os.path.join(folder, "program-slide.txt")
        subprocess.run([arenascope, "export", "-f", "collapsed", "--at", "program-end", "-o", exported,
                        "traces/program-slide.trace"], check=True, stdout=subprocess.DEVNULL)
        browser.size(WIDTH, 600)
        speedscope.open_file(browser, package, folder, exported, "program-slide.txt", view="left-heavy")
        drawn(browser, "program-slide.txt", "screenshots/export-collapsed.png", 480)
    finally:
        if browser:
            browser.close()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
