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
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

TIMEOUT = 60.0  # seconds for any one reply from the browser


class Browser:
    """Chromium, headless, driven over --remote-debugging-pipe."""

    def __init__(self, workdir):
        chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
        if not chromium:
            raise RuntimeError("no chromium on PATH")
        cmd_r, cmd_w = os.pipe()  # our commands: the browser reads them on fd 3
        ev_r, ev_w = os.pipe()  # its replies and events: written on fd 4
        # the child's ends above fd 4 first, so that moving them to 3 and 4 clobbers nothing
        hi_r = fcntl.fcntl(cmd_r, fcntl.F_DUPFD_CLOEXEC, 10)
        hi_w = fcntl.fcntl(ev_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(cmd_r)
        os.close(ev_w)

        def to_3_and_4():
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)

        profile = os.path.join(workdir, "profile")
        os.mkdir(profile)
        args = [chromium, "--headless", "--remote-debugging-pipe", "--user-data-dir=" + profile,
                "--no-first-run", "--no-default-browser-check", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-default-apps", "--host-resolver-rules=MAP * ~NOTFOUND",
                "--window-size=1280,1000", "about:blank"]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
        self.logname = os.path.join(workdir, "chromium.log")
        self.log = open(self.logname, "wb")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
                                     preexec_fn=to_3_and_4, close_fds=False)
        os.close(hi_r)
        os.close(hi_w)
        self.out, self.inp = cmd_w, ev_r
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.session = None

    def _read_one(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.inp], [], [], left)[0]:
                raise RuntimeError("the browser did not answer in %.0f s" % TIMEOUT)
            chunk = os.read(self.inp, 1 << 16)
            if not chunk:
                raise RuntimeError("the browser closed its pipe (exit status %s)" % self.proc.poll())
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, params=None, browser=False):
        """One command; its result.  Events that come meanwhile are kept in self.events."""
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if self.session and not browser:
            msg["sessionId"] = self.session
        os.write(self.out, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            reply = self._read_one(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError("%s: %s" % (method, reply["error"]))
                return reply["result"]
            if "method" in reply:
                self.events.append(reply)

    def wait_event(self, method):
        deadline = time.monotonic() + TIMEOUT
        while True:
            for i, ev in enumerate(self.events):
                if ev["method"] == method:
                    return self.events.pop(i)
            ev = self._read_one(deadline)
            if "method" in ev:
                self.events.append(ev)

    def open_page(self):
        target = self.send("Target.createTarget", {"url": "about:blank"}, browser=True)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True},
                                 browser=True)["sessionId"]
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.send(domain + ".enable")

    def navigate(self, url):
        self.events = [e for e in self.events if e["method"] != "Page.loadEventFired"]
        self.send("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired")

    def eval(self, expr):
        r = self.send("Runtime.evaluate", {"expression": expr, "returnByValue": True})
        if "exceptionDetails" in r:
            raise RuntimeError("%s: %s" % (expr, r["exceptionDetails"]))
        return r["result"].get("value")

    KEYS = {"ArrowRight": 39, "ArrowLeft": 37, "ArrowDown": 40, "ArrowUp": 38, "PageDown": 34,
            "PageUp": 33, "Home": 36, "End": 35, " ": 32}

    def key(self, name):
        code = self.KEYS[name]
        down = {"type": "keyDown", "key": name, "code": "Space" if name == " " else name,
                "windowsVirtualKeyCode": code, "nativeVirtualKeyCode": code}
        if name == " ":
            down["text"] = " "
        self.send("Input.dispatchKeyEvent", down)
        self.send("Input.dispatchKeyEvent", dict(down, type="keyUp", text=""))

    def click(self, element_id):
        box = self.eval("(function(){var r=document.getElementById(%s).getBoundingClientRect();"
                        "return [r.left+r.width/2,r.top+r.height/2]})()" % json.dumps(element_id))
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1],
                                                   "button": "left", "clickCount": 1})

    def close(self):
        try:
            self.send("Browser.close", browser=True)
        except RuntimeError:
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.out)
        os.close(self.inp)
        self.log.close()


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


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def check(self, ok, what, why=""):
        self.n += 1
        print("%s %d - %s" % ("ok" if ok else "not ok", self.n, what))
        if not ok:
            self.failed += 1
            for line in str(why).splitlines():
                print("# " + line)
        sys.stdout.flush()
        return ok

    def done(self):
        print("1..%d" % self.n)
        return 1 if self.failed else 0


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
    tmp = tempfile.mkdtemp(prefix="arenascope-browser-")
    browser = None
    try:
        page = os.path.join(tmp, "handout.html")
        subprocess.run([arenascope, "export", "-f", "html", "-o", page, trace], check=True,
                       stdout=subprocess.DEVNULL)
        url = "file://" + page
        browser = Browser(tmp)
        browser.open_page()
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

        requests = [e["params"]["request"]["url"] for e in browser.events
                    if e["method"] == "Network.requestWillBeSent"]
        fetched = [u for u in requests if u.split("#")[0] not in (url, "about:blank")]
        tap.check(requests and not fetched, "nothing fetched but the page itself",
                  "requests: %s" % requests)
        entries = browser.eval("performance.getEntriesByType('resource').map(function(e){return e.name})")
        tap.check(entries == [], "no resource entries", entries)
        errors = [e for e in browser.events
                  if e["method"] == "Runtime.exceptionThrown"
                  or (e["method"] == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "assert"))
                  or (e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")]
        tap.check(not errors, "no error in the console", json.dumps(errors, indent=1))
    except Exception as e:  # the browser failed to start or answer: one failure that says why
        log = ""
        if browser:
            browser.log.flush()
            log = open(browser.logname, errors="replace").read()[-3000:]
        tap.check(False, "the browser session", "%s: %s\n%s" % (type(e).__name__, e, log))
    finally:
        if browser:
            browser.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
