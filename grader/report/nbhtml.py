"""Notebooks as static HTML pages that are safe to open: no script runs, nothing is fetched from outside,
and no link in the notebook can be followed.

nbconvert's ``basic`` template gives the cells without its JavaScript and CDN links; :mod:`sanitize` then
keeps presentational HTML only (student markdown and ``text/html`` outputs may hold anything). The page frames
the cells as the student's own, so nothing in them passes for the grader's word. The page's
Content-Security-Policy blocks scripts and loads as a second line.
"""

from __future__ import annotations

import functools
from pathlib import Path

from nbconvert import HTMLExporter
from pygments.formatters import HtmlFormatter

from grader.records import write_json_atomically
from grader.report.render import render_template
from grader.report.sanitize import sanitize
from grader.static import load_notebook


@functools.cache
def _exporter() -> HTMLExporter:
    return HTMLExporter(template_name="basic")


@functools.cache
def _highlight_css() -> str:
    return HtmlFormatter(style="default").get_style_defs(".highlight")


RAN = "as the grader ran it"
SUBMITTED = "as submitted (the grader did not run it)"


def write_notebook_html(
    src: Path, dest: Path, title: str, subtitle: str = "", *, copy: str = RAN
) -> str | None:
    """Render the notebook SRC as a page at DEST; return None, or why it could not be rendered. ``copy`` says
    in the page's band which copy it is, ``RAN`` or ``SUBMITTED``."""
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
        copy=copy,
        body=sanitize(body),
        highlight_css=_highlight_css(),
    )
    write_json_atomically(dest, page)
    return None
