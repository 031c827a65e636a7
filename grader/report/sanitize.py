"""What a student's notebook may put in a grader page: presentational HTML, and links that cannot be followed.

bleach keeps only presentational tags, links to http(s) or to an anchor of the page, and images embedded as
``data:image/...``: no script, form, frame, meta refresh or remote image survives. A link to elsewhere then
becomes its text followed by the address as plain text ("click here [link to http://…]"), so a line such as
"your regrade was approved: click here" cannot take a reader anywhere, and the address it claims is in view.
Classes named ``grader-…`` are the page's own frame and are refused, so a notebook cannot imitate it.
"""

from __future__ import annotations

import html
import re
import typing as t

import bleach
from bleach.html5lib_shim import Filter

GRADER_CLASS = "grader-"
_TAGS = frozenset(
    ["a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div", "dl", "dt", "em"]
    + ["figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p"]
    + ["pre", "s", "samp", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td"]
    + ["tfoot", "th", "thead", "tr", "u", "ul"]
)
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_HREF = (None, "href")


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    if name == "class":
        return GRADER_CLASS not in value
    if tag == "a":
        return name == "title" or (name == "href" and value.startswith(("http://", "https://", "#")))
    if tag == "img":
        return name in ("alt", "width", "height") or (name == "src" and value.startswith("data:image/"))
    return tag in ("td", "th") and name in ("colspan", "rowspan")


def _tag(kind: str, name: str, css_class: str | None = None) -> dict[str, t.Any]:
    data = {} if css_class is None else {(None, "class"): css_class}
    return {"type": kind, "name": name, "namespace": "http://www.w3.org/1999/xhtml", "data": data}


class InertLinks(Filter):  # type: ignore[misc]
    """Runs after the sanitiser: an ``<a>`` that leaves the page becomes a span and its address plain text."""

    def __iter__(self) -> t.Iterator[dict[str, t.Any]]:
        open_links: list[str | None] = []  # per open <a>: the address shown after it, None for a kept anchor
        for token in super().__iter__():
            name, kind = token.get("name"), token["type"]
            if name != "a" or kind not in ("StartTag", "EndTag"):
                yield token
            elif kind == "StartTag":
                href = token["data"].get(_HREF, "")
                if href.startswith("#"):
                    open_links.append(None)
                    yield token
                else:
                    open_links.append(href)  # "" when the sanitiser dropped it (javascript:, mailto:)
                    yield _tag("StartTag", "span", f"{GRADER_CLASS}link" if href else None)
            elif not open_links or (href := open_links.pop()) is None:
                yield token
            else:
                yield _tag("EndTag", "span")
                if href:
                    yield _tag("StartTag", "span", f"{GRADER_CLASS}link-target")
                    address = html.unescape(href)  # bleach leaves an attribute's entities as they were
                    yield {"type": "Characters", "data": f" [link to {address}]"}
                    yield _tag("EndTag", "span")


def sanitize(markup: str) -> str:
    """Keep presentational HTML only (the regex just tidies script and style text away; bleach guards).
    A cleaner per call: bleach's is not thread-safe."""
    cleaner = bleach.sanitizer.Cleaner(
        tags=_TAGS,
        attributes=_allowed_attribute,
        protocols={"http", "https", "data"},
        strip=True,
        filters=[InertLinks],
    )
    return cleaner.clean(_SCRIPT_OR_STYLE.sub("", markup))
