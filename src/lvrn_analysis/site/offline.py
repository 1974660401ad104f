"""Make a rendered site work with no network, and rank its search for readers of the story.

Run on ``_site/`` after either renderer (real Quarto or the fallback smalldocs) by
`lvrn_analysis.site.render.render_site()`:

* `strip_remote_imports()` removes ``@import url(https://…)`` from the site's
  stylesheets: the Bootswatch theme imports its web font from Google Fonts, which
  offline and locked-down (e.g. NHS) networks block; the theme's own font stack
  then falls back to the reader's system fonts.
* `rank_search()` orders ``search.json`` with the story pages first, in the order
  of ``project.render``, and the package reference (``api/``) after them.
* `install_search_script()` adds one small script (`SEARCH_JS`) to every page. It
  tells Fuse.js — the search library of both renderers — to list matches on story
  pages before matches in the package reference (each group by Fuse's own score),
  and, when the site is opened from disk (``file://``, where browsers refuse to
  ``fetch`` a local file), serves ``search.json`` from a script copy of it, so that
  search works offline too.
* `remote_assets()` lists whatever a page or stylesheet would still load from the
  network (scripts, stylesheets, images, fonts, ES-module imports), for the render
  to warn about and the tests to fail on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

#: Folder under ``site_libs/`` for this module's files.
LIB_DIR = "lvrn"
#: ``id`` of the script tag added to every page.
SCRIPT_ID = "lvrn-search"

_REMOTE = r"(?:https?:)?//"
#: ``@import url(https://…) media;`` or ``@import "https://…" media;`` (a URL may hold ``;``).
_CSS_IMPORT = re.compile(rf"@import\s+(?:url\(\s*[\"']?{_REMOTE}[^)]*\)|[\"']{_REMOTE}[^\"']*[\"'])"
                         r"[^;{}]*;", re.I)
_CSS_URL = re.compile(rf"url\(\s*[\"']?(?P<url>{_REMOTE}[^\"')\s]+)", re.I)
_TAG = re.compile(r"<(?P<tag>script|link|img|iframe|source|video|audio|embed|object|input)\b"
                  r"(?P<attrs>[^>]*)>", re.I)
_ATTR = re.compile(r"\b(?P<name>src|href|data|poster|srcset)\s*=\s*(?P<q>[\"']?)(?P<v>[^\"'\s>]*)",
                   re.I)
_REL = re.compile(r"\brel\s*=\s*[\"']?(?P<rel>[^\"'>]*)", re.I)
_MODULE_IMPORT = re.compile(rf"\b(?:import|from)\s*\(?\s*[\"'](?P<url>{_REMOTE}[^\"']+)[\"']")
_STYLE_BLOCK = re.compile(r"<style\b[^>]*>(?P<css>.*?)</style>", re.S | re.I)
_SCRIPT_BLOCK = re.compile(r"<script\b[^>]*>(?P<js>.*?)</script>", re.S | re.I)
#: ``<link rel=…>`` kinds that make the browser fetch the target.
_FETCHING_RELS = {"stylesheet", "preload", "modulepreload", "icon", "shortcut", "prefetch",
                  "apple-touch-icon", "manifest", "preconnect", "dns-prefetch"}

#: The script added to every page; ``__STORY__`` is replaced by the number of story entries.
SEARCH_JS = """\
/* lvrn-analysis: search ranked for the story, and working from file:// (see
   lvrn_analysis.site.offline). search.json lists the story pages' sections first
   (__STORY__ entries), then the package reference. */
(function () {
  "use strict";
  var STORY = __STORY__;
  function rank(a, b) {
    var ta = a.idx < STORY ? 0 : 1, tb = b.idx < STORY ? 0 : 1;
    if (ta !== tb) return ta - tb;
    if (a.score !== b.score) return a.score < b.score ? -1 : 1;
    return a.idx < b.idx ? -1 : 1;
  }
  if (window.Fuse && window.Fuse.config) window.Fuse.config.sortFn = rank;
  if (window.location.protocol !== "file:" || !window.fetch) return;
  var here = document.currentScript && document.currentScript.src;
  var copy = null;
  function load() {
    if (!copy) {
      copy = new Promise(function (resolve, reject) {
        var s = document.createElement("script");
        s.src = new URL("search-index.js", here).href;
        s.onload = function () { resolve(JSON.stringify(window.lvrnSearchIndex || [])); };
        s.onerror = reject;
        document.head.appendChild(s);
      });
    }
    return copy;
  }
  var realFetch = window.fetch;
  window.fetch = function (input, init) {
    var url = typeof input === "string" ? input : (input && input.url) || "";
    if (/(^|\\/)search\\.json([?#].*)?$/.test(url)) {
      return load().then(function (body) {
        return new Response(body, {status: 200, headers: {"Content-Type": "application/json"}});
      });
    }
    return realFetch.apply(this, arguments);
  };
})();
"""


@dataclass
class OfflineReport:
    """What `make_offline()` did and found.

    Attributes
    ----------
    stripped
        ``(stylesheet, removed text)`` per remote ``@import`` removed.
    story_entries, reference_entries
        Search entries on story pages and in the package reference.
    pages
        Pages given the search script.
    remote
        ``(file, URL)`` of every remote load left (should be empty).
    """

    stripped: list[tuple[str, str]] = field(default_factory=list)
    story_entries: int = 0
    reference_entries: int = 0
    pages: int = 0
    remote: list[tuple[str, str]] = field(default_factory=list)


def _rel(path: Path, site: Path) -> str:
    return path.relative_to(site).as_posix()


def strip_remote_imports(site: Path) -> list[tuple[str, str]]:
    """Remove ``@import`` of remote stylesheets (web fonts) from every CSS file of the site.

    Parameters
    ----------
    site
        The rendered ``_site`` folder.

    Returns
    -------
    list of (str, str)
        The stylesheet (relative to ``site``) and each statement removed.
    """
    removed = []
    for css in sorted(site.rglob("*.css")):
        text = css.read_text(encoding="utf-8", errors="surrogateescape")
        found = _CSS_IMPORT.findall(text)
        if found:
            css.write_text(_CSS_IMPORT.sub("", text), encoding="utf-8", errors="surrogateescape")
            removed += [(_rel(css, site), f) for f in found]
    return removed


def _is_reference(href: str, reference_dir: str) -> bool:
    return PurePosixPath(href.split("#", 1)[0]).parts[:1] == (reference_dir,)


def rank_search(site: Path, *, reference_dir: str = "api",
                page_order: Sequence[str] = ()) -> tuple[int, int]:
    """Order ``search.json``: story pages first (in ``page_order``), the reference last.

    Parameters
    ----------
    site
        The rendered ``_site`` folder (with ``search.json``).
    reference_dir
        Folder of the package reference pages (quartodoc's ``dir``).
    page_order
        Source files in reading order (``project.render`` of ``_quarto.yml``);
        story pages not named keep their order after the named ones.

    Returns
    -------
    tuple of int
        Numbers of story and reference entries.
    """
    path = site / "search.json"
    if not path.is_file():
        return 0, 0
    entries = json.loads(path.read_text(encoding="utf-8"))
    order = {str(PurePosixPath(p).with_suffix(".html")): k for k, p in enumerate(page_order)}

    def key(pos_entry: tuple[int, dict]) -> tuple[int, int, int]:
        pos, e = pos_entry
        page = str(e.get("href", "")).split("#", 1)[0]
        ref = _is_reference(page, reference_dir)
        return (int(ref), order.get(page, len(order)) if not ref else 0, pos)

    ranked = [e for _, e in sorted(enumerate(entries), key=key)]
    n_ref = sum(_is_reference(str(e.get("href", "")), reference_dir) for e in ranked)
    path.write_text(json.dumps(ranked, ensure_ascii=False), encoding="utf-8")
    return len(ranked) - n_ref, n_ref


def install_search_script(site: Path, story_entries: int) -> int:
    """Write `SEARCH_JS` and the script copy of ``search.json``; add the script to every page.

    Parameters
    ----------
    site
        The rendered ``_site`` folder.
    story_entries
        Number of story entries at the start of ``search.json`` (`rank_search()`).

    Returns
    -------
    int
        Pages given the script.
    """
    lib = site / "site_libs" / LIB_DIR
    lib.mkdir(parents=True, exist_ok=True)
    (lib / "search.js").write_text(SEARCH_JS.replace("__STORY__", str(int(story_entries))),
                                   encoding="utf-8")
    index = site / "search.json"
    data = index.read_text(encoding="utf-8") if index.is_file() else "[]"
    (lib / "search-index.js").write_text(f"window.lvrnSearchIndex = {data};\n", encoding="utf-8")
    n = 0
    for page in sorted(site.rglob("*.html")):
        if "site_libs" in page.relative_to(site).parts:
            continue
        text = page.read_text(encoding="utf-8")
        if f'id="{SCRIPT_ID}"' in text or "</body>" not in text:
            continue
        up = "../" * (len(page.relative_to(site).parts) - 1)
        tag = f'<script id="{SCRIPT_ID}" src="{up}site_libs/{LIB_DIR}/search.js" defer></script>'
        head, sep, tail = text.rpartition("</body>")
        page.write_text(head + tag + "\n" + sep + tail, encoding="utf-8")
        n += 1
    return n


def _page_remote(text: str) -> list[str]:
    found = []
    for m in _TAG.finditer(text):
        tag, attrs = m.group("tag").lower(), m.group("attrs")
        if tag == "link":
            rel = (_REL.search(attrs) or {"rel": ""})["rel"].lower().split()  # type: ignore[index]
            if not _FETCHING_RELS & set(rel):
                continue
        if tag == "input" and "image" not in attrs.lower():
            continue
        for a in _ATTR.finditer(attrs):
            values = a.group("v").split(",") if a.group("name").lower() == "srcset" \
                else [a.group("v")]
            found += [v.strip().split()[0] for v in values
                      if re.match(_REMOTE, v.strip(), re.I)]
    for m in _STYLE_BLOCK.finditer(text):
        found += [u.group("url") for u in _CSS_URL.finditer(m.group("css"))]
    for m in _SCRIPT_BLOCK.finditer(text):
        found += [u.group("url") for u in _MODULE_IMPORT.finditer(m.group("js"))]
    found += [u.group("url") for u in _CSS_URL.finditer(" ".join(
        re.findall(r"\bstyle\s*=\s*\"([^\"]*)\"", text)))]
    return found


def remote_assets(site: Path) -> list[tuple[str, str]]:
    """List what the site's pages and stylesheets would load from the network.

    Links (``<a href>``) are not loads and are not listed; scripts, stylesheets,
    images, frames, media, icons, preloads, ES-module imports and CSS ``url()`` /
    ``@import`` are.

    Parameters
    ----------
    site
        The rendered ``_site`` folder.

    Returns
    -------
    list of (str, str)
        ``(file relative to site, URL)``, sorted.
    """
    out: set[tuple[str, str]] = set()
    for page in site.rglob("*.html"):
        out |= {(_rel(page, site), u) for u in _page_remote(page.read_text(encoding="utf-8"))}
    for css in site.rglob("*.css"):
        text = css.read_text(encoding="utf-8", errors="surrogateescape")
        out |= {(_rel(css, site), u.group("url")) for u in _CSS_URL.finditer(text)}
        out |= {(_rel(css, site), s) for s in _CSS_IMPORT.findall(text)}
    return sorted(out)


def make_offline(site: Path, *, reference_dir: str = "api",
                 page_order: Sequence[str] = ()) -> OfflineReport:
    """Strip remote imports, rank and install search, and list remote loads left.

    Parameters
    ----------
    site
        The rendered ``_site`` folder.
    reference_dir
        Folder of the package reference pages.
    page_order
        Source files in reading order (``project.render``).

    Returns
    -------
    OfflineReport
        What was done, and ``remote``: what still loads from the network.
    """
    site = Path(site)
    report = OfflineReport(stripped=strip_remote_imports(site))
    report.story_entries, report.reference_entries = rank_search(
        site, reference_dir=reference_dir, page_order=page_order)
    report.pages = install_search_script(site, report.story_entries)
    report.remote = remote_assets(site)
    return report
