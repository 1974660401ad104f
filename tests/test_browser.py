"""The website in a real browser: every page at 1366 px in headless Chromium, offline.

One Chromium session (Debian's ``chromium`` and ``chromium-driver``, driven by
Selenium) opens every page of the rendered site from disk (``file://``) with the
network cut off (every host name resolves to nothing) and checks, per page:

* **theme** — the theme's stylesheet applied (its CSS variables are defined);
* **overflow** — the page does not scroll sideways at 1366 px;
* **console** — no JavaScript error in the console;
* **images** — every image loaded (``naturalWidth > 0``);
* **diagrams** — every diagram is drawn (an ``<svg>`` or an image), and no raw
  diagram code (``flowchart LR`` …) is shown as text;
* **tables** — every table cell has padding on both sides (numbers in adjacent
  cells do not run together);
* **network** — every request the page made is ``file:`` or ``data:`` (from the
  DevTools performance log), so nothing leaves the machine.

It renders with whatever renderer is present: the fallback (smalldocs, from the
notebooks' stored outputs, in a temporary copy of the project, see
``conftest.py``) always, and real Quarto as well when one is found. Search is
tried once per renderer: a query finds story pages before the package reference.

The per-page results are printed at the end of the run (``conftest.py``'s
terminal summary) and written to ``browser-report.txt`` in the test's temporary
folder. Without a browser the test is skipped with a message saying what to
install; with ``LVRN_REQUIRE_BROWSER=1`` (set by ``.ci/run``) it fails instead.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest

from lvrn_analysis.site.render import find_quarto, render_site

WIDTH, HEIGHT = 1366, 768
#: Smallest padding (CSS px) on each side of a table cell.
MIN_CELL_PAD = 3.0
#: Schemes a page may load from.
LOCAL_SCHEMES = {"file", "data", "blob", "about"}
#: Text that means a diagram is shown as source code instead of being drawn.
RAW_DIAGRAM = ("flowchart LR", "flowchart TD", "graph LR", "graph TD", "sequenceDiagram")
INSTALL = ("install Chromium and its driver to run the real-browser test: "
           "`sudo apt-get install chromium chromium-driver` (Debian/Ubuntu) and "
           "`.venv/bin/pip install selenium` (in the dev dependencies); CI installs them in "
           ".ci/run")


def _browser() -> tuple[str, str] | str:
    """Return (chromium, chromedriver) paths, or why there is no browser."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed"
    exe = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                if shutil.which(n)), None)
    drv = shutil.which("chromedriver")
    if exe is None or drv is None:
        return f"no {'Chromium' if exe is None else 'chromedriver'} on PATH"
    return exe, drv


def _require_browser(report: list) -> tuple[str, str]:
    found = _browser()
    if isinstance(found, str):
        msg = f"real-browser test not run: {found}; {INSTALL}"
        if os.environ.get("LVRN_REQUIRE_BROWSER") == "1":
            pytest.fail(msg)
        if msg not in report:
            report.append(msg)  # shown at the end of `make test`, which does not list skips
        pytest.skip(msg)
    return found


@pytest.fixture(scope="module")
def driver(browser_report):
    exe, drv = _require_browser(browser_report)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = exe
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={WIDTH},{HEIGHT}",
                # nothing may leave the machine: every host name resolves to nothing
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
                "--no-first-run", "--disable-extensions", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--hide-scrollbars"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    d = webdriver.Chrome(service=Service(drv), options=opts)
    d.set_page_load_timeout(60)
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1,
                       "mobile": False})
    yield d
    d.quit()


@pytest.fixture(scope="module")
def sites(driver, request, tmp_path_factory) -> list[tuple[str, Path]]:
    """The renders to check: the fallback always, real Quarto when it is installed.

    Asks for the browser first, so that nothing is rendered when there is none.
    """
    fallback_site = request.getfixturevalue("fallback_site")
    out = [("fallback", fallback_site)]
    if find_quarto() is not None:
        project = tmp_path_factory.mktemp("quarto_project")
        shutil.copytree(fallback_site.parent, project, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("_site", ".quarto"))
        out.append(("quarto", render_site(project, execute=False, renderer="quarto")))
    return out


# JavaScript run on each page once it has loaded: returns the page's measurements.
_MEASURE = """
const done = arguments[arguments.length - 1];
const raw = arguments[0];
function settle() {
  const imgs = Array.from(document.images);
  imgs.forEach((i) => { if (i.loading === "lazy") i.loading = "eager"; });
  const waits = imgs.filter((i) => !i.complete).map((i) => new Promise((r) => {
    i.addEventListener("load", r, {once: true}); i.addEventListener("error", r, {once: true});
  }));
  const fonts = document.fonts ? document.fonts.ready : Promise.resolve();
  return Promise.race([Promise.all([...waits, fonts]),
                       new Promise((r) => setTimeout(r, 5000))]);
}
settle().then(() => {
  const de = document.documentElement;
  const imgs = Array.from(document.images).map((i) => ({
    src: i.getAttribute("src") || "", ok: i.complete && i.naturalWidth > 0,
    shown: i.getBoundingClientRect().width}));
  const diagrams = Array.from(document.querySelectorAll(
      "pre.mermaid, div.mermaid, .cell-output-display .mermaid, code.language-mermaid, "
      + "pre.language-mermaid, .mermaid-js"));
  const undrawn = diagrams.filter((d) => !d.querySelector("svg, img")).length;
  const text = document.body ? document.body.innerText : "";
  const rawShown = raw.filter((r) => text.includes(r));
  const cells = [];
  document.querySelectorAll("table").forEach((t) => {
    const rows = Array.from(t.rows).slice(0, 4);
    rows.forEach((r) => Array.from(r.cells).forEach((c) => {
      if (!c.textContent.trim()) return;
      const s = getComputedStyle(c);
      cells.push(Math.min(parseFloat(s.paddingLeft) || 0, parseFloat(s.paddingRight) || 0));
    }));
  });
  const wide = [];
  if (de.scrollWidth > de.clientWidth) {
    document.querySelectorAll("body *").forEach((e) => {
      const r = e.getBoundingClientRect();
      if (r.right > de.clientWidth + 1 && wide.length < 5)
        wide.push(e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
                  + (e.className && typeof e.className === "string"
                     ? "." + e.className.trim().split(/\\s+/).join(".") : ""));
    });
  }
  const theme = getComputedStyle(de).getPropertyValue("--bs-body-font-family").trim();
  done({theme: theme, scrollWidth: de.scrollWidth, clientWidth: de.clientWidth,
        innerWidth: window.innerWidth,
        images: imgs, diagrams: diagrams.length, svgs: document.querySelectorAll("svg").length,
        undrawn: undrawn, rawShown: rawShown, tables: document.querySelectorAll("table").length,
        cells: cells, wide: wide, title: document.title});
});
"""


@dataclass
class PageResult:
    """The checks made on one page, and what failed."""

    renderer: str
    page: str
    checks: dict[str, str] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def line(self) -> str:
        status = "FAIL" if self.failures else "ok"
        checks = "; ".join(f"{k} {v}" for k, v in self.checks.items())
        return f"{status:4} [{self.renderer}] {self.page}: {checks}" + (
            "\n       " + "\n       ".join(self.failures) if self.failures else "")


def _drain_requests(driver) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
        elif msg.get("method") == "Network.webSocketCreated":
            urls.append(msg["params"]["url"])
    return urls


def _console_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def check_page(driver, renderer: str, site: Path, page: Path) -> PageResult:
    """Open one page and run every check on it."""
    res = PageResult(renderer, page.relative_to(site).as_posix())
    _drain_requests(driver), _console_errors(driver)  # start clean
    driver.get(page.as_uri())
    m = driver.execute_async_script(_MEASURE, list(RAW_DIAGRAM))
    time.sleep(0.05)  # let late console messages arrive
    errors = _console_errors(driver)
    urls = _drain_requests(driver)

    over = m["scrollWidth"] - m["clientWidth"]
    res.checks["overflow"] = f"{max(over, 0)}px at {m['innerWidth']}px"
    if m["innerWidth"] != WIDTH:
        res.failures.append(f"viewport is {m['innerWidth']} px, not {WIDTH}")
    if over > 0:
        res.failures.append(f"scrolls sideways by {over} px: {', '.join(m['wide'])}")
    res.checks["theme"] = "loaded" if m["theme"] else "missing"
    if not m["theme"]:
        res.failures.append("the theme's stylesheet did not apply (no --bs-body-font-family)")
    res.checks["console errors"] = str(len(errors))
    res.failures += [f"console error: {e[:300]}" for e in errors]
    bad = [i["src"] for i in m["images"] if not i["ok"]]
    res.checks["images"] = f"{len(m['images']) - len(bad)}/{len(m['images'])} loaded"
    res.failures += [f"image not loaded: {s}" for s in bad]
    res.checks["diagrams"] = (f"{m['diagrams'] - m['undrawn']}/{m['diagrams']} drawn"
                              f", raw code {'shown' if m['rawShown'] else 'none'}")
    if m["undrawn"]:
        res.failures.append(f"{m['undrawn']} diagram(s) not drawn as SVG or image")
    res.failures += [f"raw diagram code shown as text: {r!r}" for r in m["rawShown"]]
    pads = m["cells"]
    res.checks["tables"] = (f"{m['tables']}, min cell padding {min(pads):.1f}px" if pads
                            else f"{m['tables']}")
    if pads and min(pads) < MIN_CELL_PAD:
        res.failures.append(f"{sum(p < MIN_CELL_PAD for p in pads)} table cell(s) with "
                            f"less than {MIN_CELL_PAD} px padding on a side")
    remote = [u for u in urls if urlparse(u).scheme not in LOCAL_SCHEMES]
    res.checks["requests"] = f"{len(urls)}, {len(remote)} leaving the machine"
    res.failures += [f"request leaves the machine: {u}" for u in remote]
    return res


def _pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if "site_libs" not in p.parts)


def _search(driver, renderer: str, site: Path, query: str) -> tuple[list[str], list[str]]:
    """Type ``query`` in the page's search box; return the result links and console errors."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    _console_errors(driver)
    driver.get((site / "index.html").as_uri())
    if renderer == "quarto":
        driver.find_element(By.CSS_SELECTOR, "#quarto-search .aa-Input, #quarto-search "
                                             "button").click()
        box = WebDriverWait(driver, 10).until(
            lambda d: d.find_element(By.CSS_SELECTOR, ".aa-Input"))
        links = ".aa-Panel a.search-result-link"
    else:
        box = driver.find_element(By.CSS_SELECTOR, ".smalldocs-search input")
        links = ".smalldocs-search-results a.search-result"
    box.click()
    box.send_keys(query)
    box.send_keys(Keys.END)
    try:
        WebDriverWait(driver, 10).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, links))
    except Exception:  # noqa: BLE001 - reported below as "no results"
        return [], _console_errors(driver)
    hrefs = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, links)]
    return [Path(urlparse(h).path).relative_to(site).as_posix() for h in hrefs if h], \
        _console_errors(driver)


def _ranked(found: list[str]) -> bool:
    """True when no story page is listed after a reference page."""
    kinds = ["reference" if f.startswith("api/") else "story" for f in found]
    return "reference" not in kinds or "story" not in kinds[kinds.index("reference"):]


def test_every_page_in_a_real_browser(driver, sites, browser_report, tmp_path):
    results: list[PageResult] = []
    started = time.monotonic()
    for renderer, site in sites:
        for page in _pages(site):
            results.append(check_page(driver, renderer, site, page))
        for query in ("funnel", "disclosure"):
            found, errors = _search(driver, renderer, site, query)
            n_ref = sum(f.startswith("api/") for f in found)
            res = PageResult(renderer, f"search {query!r}", {
                "results": f"{len(found)} ({len(found) - n_ref} story, {n_ref} reference)",
                "first": found[0] if found else "-", "console errors": str(len(errors))})
            if not found:
                res.failures.append("search found nothing (does search work offline?)")
            elif not _ranked(found) or found[0].startswith("api/"):
                res.failures.append(f"a reference page ranks above a story page: {found[:6]}")
            res.failures += [f"console error: {e[:300]}" for e in errors]
            results.append(res)
    n_fail = sum(bool(r.failures) for r in results)
    report = tmp_path / "browser-report.txt"
    browser_report += [r.line() for r in results]
    browser_report.append(f"{len(results)} checks ({len(results) - 2 * len(sites)} pages, "
                          f"{2 * len(sites)} searches) in {time.monotonic() - started:.1f} s, "
                          f"{n_fail} with failures; report: {report}")
    report.write_text("\n".join(browser_report) + "\n", encoding="utf-8")
    failed = [r for r in results if r.failures]
    assert not failed, "\n".join(r.line() for r in failed[:20])


BAD_PAGE = """<!doctype html><html><head><meta charset="utf-8">
<style>:root{--bs-body-font-family:sans-serif} td{padding:0}</style>
<script src="https://cdn.example.org/x.js"></script></head><body>
<div style="width:2000px">wide</div><img src="missing.png" alt="gone">
<pre class="mermaid">flowchart LR
  a --> b</pre>
<table><tr><td>79.7</td><td>78.3</td></tr></table>
<script>null.boom();</script></body></html>"""


def test_the_checks_catch_a_bad_page(driver, tmp_path):
    """Each check fails on a page built to break it (so a passing site means something)."""
    (tmp_path / "bad.html").write_text(BAD_PAGE, encoding="utf-8")
    res = check_page(driver, "test", tmp_path, tmp_path / "bad.html")
    text = "\n".join(res.failures)
    assert "scrolls sideways" in text
    assert "image not loaded: missing.png" in text
    assert "diagram(s) not drawn" in text and "raw diagram code" in text
    assert "table cell(s) with less than" in text
    assert "request leaves the machine: https://cdn.example.org/x.js" in text
    assert "console error" in text
