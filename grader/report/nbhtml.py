"""Notebooks as static HTML pages that are safe to open: no script runs, nothing is fetched from outside.

nbconvert's ``basic`` template gives the cells without its JavaScript and CDN links; bleach then keeps only
presentational tags, links to http(s) and images embedded as ``data:image/...`` (student markdown and
``text/html`` outputs may hold anything). The page's Content-Security-Policy blocks scripts as a second line.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import bleach
from nbconvert import HTMLExporter
from pygments.formatters import HtmlFormatter

from grader.report.render import render_template
from grader.result import write_json_atomically
from grader.static import load_notebook

_TAGS = frozenset(
    ["a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div", "dl", "dt", "em"]
    + ["figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p"]
    + ["pre", "s", "samp", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td"]
    + ["tfoot", "th", "thead", "tr", "u", "ul"]
)
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    if name == "class":
        return True
    if tag == "a":
        return name == "title" or (name == "href" and value.startswith(("http://", "https://", "#")))
    if tag == "img":
        return name in ("alt", "width", "height") or (name == "src" and value.startswith("data:image/"))
    return tag in ("td", "th") and name in ("colspan", "rowspan")


def sanitize(html: str) -> str:
    """Keep presentational HTML only (the regex just tidies script and style text away; bleach guards)."""
    return bleach.clean(
        _SCRIPT_OR_STYLE.sub("", html),
        tags=_TAGS,
        attributes=_allowed_attribute,
        protocols={"http", "https", "data"},
        strip=True,
    )


@functools.cache
def _exporter() -> HTMLExporter:
    return HTMLExporter(template_name="basic")


@functools.cache
def _highlight_css() -> str:
    return HtmlFormatter(style="default").get_style_defs(".highlight")


def write_notebook_html(src: Path, dest: Path, title: str, subtitle: str = "") -> str | None:
    """Render the notebook SRC as a page at DEST; return None, or why it could not be rendered."""
    loaded = load_notebook(src, src.name)
    if loaded.nb is None:
        return "; ".join(finding.detail for finding in loaded.findings) or "not a readable notebook"
    try:
        body, _ = _exporter().from_notebook_node(loaded.nb)
    except Exception as exc:  # nbconvert's failures on hostile content have no common type
        return f"nbconvert could not render it ({type(exc).__name__}: {exc})"
    page = render_template(
        "notebook.html.j2",
        title=title,
        subtitle=subtitle,
        body=sanitize(body),
        highlight_css=_highlight_css(),
    )
    write_json_atomically(dest, page)
    return None
