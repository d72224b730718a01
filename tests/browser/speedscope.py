"""speedscope, the flame graph viewer of the npm package pinned in package.json here, opened in
headless Chromium (cdp.py) with a file, and what its page then shows.

A file is handed to speedscope's page as its own command line tool hands one: a script beside
it calls speedscope.loadFileFromBase64(name, contents), and the page's address names that
script (#localProfilePath=...), with the view to open in (&view=time-ordered, left-heavy or
sandwich).  The page guesses the format from the contents (and a few name endings).
"""
import base64
import json
import os
import re

# The rows of the sandwich view drawn on screen: [total, self, name] each; the list of profiles,
# when there are several, is a table of [number, name, total] rows.
ROWS = r"""Array.from(document.querySelectorAll('table tr')).map(function(tr){
  return Array.from(tr.querySelectorAll('td')).map(function(td){ return td.textContent; });
}).filter(function(r){ return r.length == 3; })"""

# The sandwich view is shown, with rows.
SANDWICH = r"""Array.from(document.querySelectorAll('td')).some(function(td){ return /%\)$/.test(td.textContent); })"""

# The sandwich view's table scrolled to TOP pixels, once the page has drawn it there (it draws
# only the rows in sight); the scroll position, the height of the whole list and of the view.
SCROLL = r"""(function(top){
  var e = null;
  document.querySelectorAll('table').forEach(function(t){  // the head's and the rows' tables
    for (var up = t; up; up = up.parentElement)  // the ancestor that scrolls the most
      if (up.scrollHeight > up.clientHeight + 1 && (!e || up.scrollHeight - up.clientHeight > e.scrollHeight - e.clientHeight))
        e = up;
  });
  if (!e) return null;
  e.scrollTop = top;
  return new Promise(function(done){ requestAnimationFrame(function(){ requestAnimationFrame(function(){
    done([e.scrollTop, e.scrollHeight, e.clientHeight]); }); }); });
})(%d)"""


def page(package):
    """speedscope's page in the package's folder."""
    return os.path.join(os.path.abspath(package), "dist", "release", "index.html")


def open_file(browser, package, folder, path, name, view=None):
    """The file at path opened in speedscope as name, in view (None: the page's first); the
    page's title once it names the file, false if it never does.  The loading script is
    folder/load.js."""
    loader = os.path.join(folder, "load.js")
    with open(path, "rb") as f, open(loader, "w") as out:
        out.write("speedscope.loadFileFromBase64(%s, %s)\n"
                  % (json.dumps(name), json.dumps(base64.b64encode(f.read()).decode())))
    browser.navigate("file://" + page(package) + "#localProfilePath=" + loader + ("&view=" + view if view else ""))
    return browser.wait_for("document.title == %s && document.title" % json.dumps(name + " - speedscope"), 60)


def console(browser):
    """What the page wrote to its console: (type, text) each, in order."""
    out = []
    for e in browser.events:
        if e["method"] == "Runtime.consoleAPICalled":
            p = e["params"]
            out.append((p["type"], " ".join(str(a.get("value", a.get("description", ""))) for a in p["args"])))
    return out


def warnings(browser):
    """The console's warnings and errors, as text."""
    return [text for kind, text in console(browser) if kind in ("warning", "error", "assert")]


def check_kept_to_itself(tap, browser, package, folder):
    """Two checks: the page fetched nothing but speedscope's own files and the loading script,
    and wrote no error to the console."""
    base = os.path.dirname(page(package))
    loader = "file://" + os.path.join(folder, "load.js")
    fetched = browser.fetched()
    stray = [u for u in fetched if not (u.startswith("file://" + base + "/") or u == loader or u.startswith("data:"))]
    tap.check(fetched and not stray, "nothing fetched but speedscope's files and the script", stray)
    errors = browser.console_errors()
    tap.check(not errors, "no error in the console", json.dumps(errors, indent=1))


def sandwich(browser):
    """The sandwich view's rows in sight (total, self, name) and the list of profiles (number,
    name, total)."""
    rows = browser.eval(ROWS)
    return [r for r in rows if not r[0].isdigit()], [r for r in rows if r[0].isdigit()]


def all_rows(browser):
    """Every row of the sandwich view, by name: (total, self) as shown, the table scrolled from
    top to bottom a screen at a time."""
    rows, top, last = {}, 0, -1
    while True:
        where = browser.eval(SCROLL % top, wait=True)
        for r in sandwich(browser)[0]:
            rows[r[2]] = (r[0], r[1])
        if where is None or where[0] + where[2] >= where[1] or where[0] <= last:  # the end, or stuck
            return rows
        last, top = where[0], where[0] + max(where[2] // 2, 1)


def count(text):
    """"497,355 (38%)" as 497355: a count as the page prints it, in any locale's grouping."""
    m = re.match(r"\s*([0-9][0-9,.\s\u00a0\u202f']*?)\s*\(", text)
    if not m:
        raise ValueError("not a count: %r" % text)
    return int(re.sub(r"[^0-9]", "", m.group(1)))
