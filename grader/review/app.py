"""The review app's routes: a local Flask app that only its TA can reach (a random token, then a strict
cookie), and that only writes for a request from its own pages (same origin).

Pages are gathered by :mod:`grader.review.pages`; after every change the grades are merged and the reports
rendered again (:func:`grader.manual.refresh.refresh`) so that result.json, the reports and the gradebook
agree with the store.
"""

from __future__ import annotations

import dataclasses
import secrets
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, abort, redirect, request
from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined

from grader.errors import GraderError
from grader.manual.refresh import refresh
from grader.manual.store import GradeConflict, GradeEntry, ManualStore
from grader.manual.validate import grade_entry
from grader.report.render import evidence_rows, link, points
from grader.review.answers import Report
from grader.review.pages import BY_ITEM, BY_STUDENT, Review, url
from grader.review.pdf_answers import ReportError, render_page
from grader.rubric.model import Rubric

COOKIE = "grader_review_token"
LOCAL_HOSTS = ("127.0.0.1", "localhost")
# Nothing loads from elsewhere; the one script is the app's own file, so a student's text cannot run. The
# pages repeat the policy in a <meta>, where browsers ignore (and complain about) frame-ancestors.
PAGE_CSP = (
    "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; script-src 'self'; "
    "form-action 'self'; base-uri 'none'"
)
CSP = PAGE_CSP + "; frame-ancestors 'none'"


def make_token() -> str:
    return secrets.token_urlsafe(24)


def _environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader(
            [PackageLoader("grader.review", "templates"), PackageLoader("grader.report", "templates")]
        ),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(points=points, link=link, evidence_rows=evidence_rows)
    env.globals.update(csp=PAGE_CSP)
    return env


def create_app(out_dir: Path, rubric: Rubric, *, grader: str, token: str) -> Flask:
    """The app for OUT_DIR graded with RUBRIC by GRADER; every request must carry TOKEN."""
    app = Flask("grader.review", static_folder=str(Path(__file__).parent / "static"))
    review = Review(out_dir, rubric, ManualStore(out_dir))
    env = _environment()
    app.config["review"] = review

    def page(name: str, status: int = 200, **context: Any) -> Response:
        html = env.get_template(name).render(grader=grader, rubric=rubric, **context)
        return Response(html, status=status, mimetype="text/html")

    @app.before_request
    def _guard() -> Response | None:
        if urlsplit("//" + request.host).hostname not in LOCAL_HOSTS:
            abort(403)  # another host name pointing here (DNS rebinding)
        supplied = request.args.get("token", "")
        if supplied and secrets.compare_digest(supplied, token):
            if request.method == "GET":
                response = redirect(request.path)
                response.set_cookie(COOKIE, token, httponly=True, samesite="Strict")
                return response
        elif not secrets.compare_digest(request.cookies.get(COOKIE, ""), token):
            abort(403)
        if request.method != "GET":
            origin = request.headers.get("Origin")
            if origin is not None and origin != f"http://{request.host}":
                abort(403)
        return None

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        # not no-referrer: under it a browser sends "Origin: null" with form posts, which the check refuses
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(GraderError)
    def _missing(exc: GraderError) -> Response:
        return page("message.html.j2", status=404, message=str(exc))

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status=204)  # browsers ask for one; a 404 would be an error in their console

    @app.get("/")
    def overview() -> Response:
        return page("overview.html.j2", **review.overview())

    @app.get("/item/<item_id>/<submission_id>")
    def by_item(item_id: str, submission_id: str) -> Response:
        return grading(submission_id, item_id, BY_ITEM)

    @app.get("/student/<submission_id>/<item_id>")
    def by_student(submission_id: str, item_id: str) -> Response:
        return grading(submission_id, item_id, BY_STUDENT)

    def grading(submission_id: str, item_id: str, mode: str, status: int = 200, **extra: Any) -> Response:
        context = review.grading(submission_id, item_id, mode)
        grade = context["slot"].grade
        form = {
            "points": "" if grade is None else points(grade.points),
            "comment": "" if grade is None else grade.comment,
            "version": 0 if grade is None else grade.version,
        }
        form.update(extra.pop("form", {}))
        shown = {"error": None, "conflict": None, **context, **extra, "form": form}
        return page("grade.html.j2", status=status, **shown)

    @app.post("/grade/<mode>/<submission_id>/<item_id>")
    def save(mode: str, submission_id: str, item_id: str) -> Response:
        mode = _mode(mode)
        slot = review.slot(submission_id, item_id)
        typed = {
            "points": request.form.get("points", ""),
            "comment": request.form.get("comment", ""),
            "version": _int(request.form.get("version")),
        }
        after = request.form.get("then") or "/"
        try:
            if request.form.get("action") == "clear":
                review.store.clear(submission_id, item_id, grader=grader, expected_version=typed["version"])
                after = url(mode, slot)
            else:
                entry = grade_entry(
                    slot.result,
                    item_id,
                    typed["points"],
                    comment=typed["comment"],
                    grader=grader,
                    expected_version=typed["version"],
                )
                review.store.put(entry)
        except GradeConflict as exc:
            theirs = review.store.grade(submission_id, item_id)
            typed["version"] = theirs.version if theirs else 0
            return grading(
                submission_id,
                item_id,
                mode,
                409,
                form=typed,
                conflict={"message": str(exc), "theirs": theirs},
            )
        except GraderError as exc:
            return grading(submission_id, item_id, mode, 400, form=typed, error=str(exc))
        _refresh([submission_id])
        return redirect(_local(after))

    @app.post("/comment/<mode>/<submission_id>/<item_id>")
    def add_comment(mode: str, submission_id: str, item_id: str) -> Response:
        mode = _mode(mode)
        slot = review.slot(submission_id, item_id)
        text = request.form.get("text", "")
        given = request.form.get("points", "").strip()
        try:
            value = (
                grade_entry(slot.result, item_id, given, comment=text, grader=grader).points
                if given
                else None
            )
            review.store.add_rubric_comment(item_id, text, value, grader)
        except GraderError as exc:
            return grading(submission_id, item_id, mode, 400, comment_error=str(exc))
        return redirect(url(mode, slot))

    @app.post("/apply/<mode>/<submission_id>/<item_id>")
    def apply_comment(mode: str, submission_id: str, item_id: str) -> Response:
        """A rubric comment (and its points) given to every student not graded yet on this item."""
        mode = _mode(mode)
        here = review.slot(submission_id, item_id)
        chosen = next(
            (c for c in review.store.rubric_comments(item_id) if str(c.id) == request.form.get("comment_id")),
            None,
        )
        if chosen is None or chosen.points is None:
            return grading(
                submission_id, item_id, mode, 400, comment_error="choose a rubric comment that has points"
            )
        entries: list[GradeEntry] = []
        try:
            for slot in review.slots():
                if slot.check.id == item_id and not slot.graded:
                    entry = grade_entry(
                        slot.result, item_id, f"{chosen.points}", comment=chosen.text, grader=grader
                    )
                    version = slot.grade.version if slot.grade else 0
                    entries.append(dataclasses.replace(entry, expected_version=version))
            review.store.put_many(entries)
        except GradeConflict as exc:
            return grading(submission_id, item_id, mode, 409, comment_error=f"nothing applied: {exc}")
        except GraderError as exc:
            return grading(submission_id, item_id, mode, 400, comment_error=str(exc))
        _refresh([entry.submission_id for entry in entries])
        return redirect(url(mode, here))

    @app.get("/page/<submission_id>/<int:number>.png")
    def page_image(submission_id: str, number: int) -> Response:
        folder = review.folder(submission_id)
        report: Report | None = review.answers.report(folder) if folder is not None else None
        if report is None or report.pdf is None or report.problem:
            return Response(report.problem if report else "no such submission", 404, mimetype="text/plain")
        if not 1 <= number <= report.pages:
            return Response(f"the report has {report.pages} pages", 404, mimetype="text/plain")
        try:
            return Response(render_page(report.pdf, number), mimetype="image/png")
        except ReportError as exc:
            return Response(str(exc), 404, mimetype="text/plain")

    def _refresh(ids: list[str]) -> None:
        if not ids:
            return
        done = refresh(out_dir, rubric, ids)
        for what, why in [*done.failed, *done.unreadable]:
            print(f"report not refreshed: {what}: {why}", file=sys.stderr)

    return app


def _mode(mode: str) -> str:
    if mode not in (BY_ITEM, BY_STUDENT):
        abort(404)
    return mode


def _int(text: str | None) -> int:
    """The version a form was rendered with; a missing one expects no grade, so it never overwrites unseen."""
    try:
        return int(text or 0)
    except ValueError:
        return 0


def _local(target: str) -> str:
    """Only a path of this app (a form's 'then' must not send the TA elsewhere)."""
    local = target.startswith("/") and not target.startswith("//") and "\\" not in target  # "/\\x" is "//x"
    return target if local else "/"
