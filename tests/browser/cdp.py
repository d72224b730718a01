"""Headless Chromium driven over the DevTools protocol on a pipe, with Python's standard library.

Chromium started with --remote-debugging-pipe reads commands on its fd 3 and writes replies and
events on its fd 4, each a JSON text ended by a NUL.  Browser opens one page, sends commands to
it, keeps the events (console, network, load) for the caller to read, and sends keys and clicks
as input events, the way a person's reach the page.  Tap prints checks as TAP.
"""
import base64
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
                "--enable-unsafe-swiftshader",  # WebGL drawn in software, as a machine without a GPU has it
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

    def eval(self, expr, wait=False):
        """The value of expr; with wait, of the promise it gives once it settles."""
        r = self.send("Runtime.evaluate", {"expression": expr, "returnByValue": True, "awaitPromise": wait})
        if "exceptionDetails" in r:
            raise RuntimeError("%s: %s" % (expr, r["exceptionDetails"]))
        return r["result"].get("value")

    def wait_for(self, expr, seconds=30.0):
        """The value of expr once it is true, polling; its last value if it never is."""
        deadline = time.monotonic() + seconds
        while True:
            value = self.eval(expr)
            if value or time.monotonic() > deadline:
                return value
            time.sleep(0.05)

    KEYS = {"ArrowRight": 39, "ArrowLeft": 37, "ArrowDown": 40, "ArrowUp": 38, "PageDown": 34,
            "PageUp": 33, "Home": 36, "End": 35, " ": 32}

    def key(self, name):
        """A key pressed and released: a name of KEYS, or one printable character."""
        if name in self.KEYS:
            code = self.KEYS[name]
            dom_code = "Space" if name == " " else name
        else:
            code = ord(name.upper())
            dom_code = ("Digit" if name.isdigit() else "Key") + name.upper()
        down = {"type": "keyDown", "key": name, "code": dom_code, "windowsVirtualKeyCode": code,
                "nativeVirtualKeyCode": code}
        if len(name) == 1:
            down["text"] = name
        self.send("Input.dispatchKeyEvent", down)
        self.send("Input.dispatchKeyEvent", dict(down, type="keyUp", text=""))

    def click(self, element_id):
        box = self.eval("(function(){var r=document.getElementById(%s).getBoundingClientRect();"
                        "return [r.left+r.width/2,r.top+r.height/2]})()" % json.dumps(element_id))
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1],
                                                   "button": "left", "clickCount": 1})

    def size(self, width, height):
        """The page laid out and drawn at width x height CSS pixels."""
        self.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                                                         "deviceScaleFactor": 1, "mobile": False})

    def screenshot(self, path, width=None, height=None):
        """What the page shows, as a PNG file: all of it, or its top left width x height."""
        params = {"format": "png"}
        if width:
            params["clip"] = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
        data = self.send("Page.captureScreenshot", params)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def fetched(self):
        """The addresses the page asked for, its own included."""
        return [e["params"]["request"]["url"] for e in self.events if e["method"] == "Network.requestWillBeSent"]

    def console_errors(self):
        """Errors the console shows: exceptions thrown, console.error and failed assertions, the
        browser's own error entries (a refused load, a blocked request)."""
        return [e for e in self.events
                if e["method"] == "Runtime.exceptionThrown"
                or (e["method"] == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "assert"))
                or (e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")]

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


def session(tap, body):
    """body(browser, folder) with the browser on a blank page and a temporary folder, both gone
    after; a browser that fails to start or answer is one failed check, with the end of its log.
    The exit status of the checks."""
    folder = tempfile.mkdtemp(prefix="arenascope-browser-")
    browser = None
    try:
        browser = Browser(folder)
        browser.open_page()
        body(browser, folder)
    except Exception as e:  # noqa: BLE001 - whatever it was, said as one failed check
        log = ""
        if browser:
            browser.log.flush()
            with open(browser.logname, errors="replace") as f:
                log = f.read()[-3000:]
        tap.check(False, "the browser session", "%s: %s\n%s" % (type(e).__name__, e, log))
    finally:
        if browser:
            browser.close()
        shutil.rmtree(folder, ignore_errors=True)
    return tap.done()
