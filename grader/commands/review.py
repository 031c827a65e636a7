"""``grader review``: the TAs' grading app for the manual and inconclusive items of a results folder, served
on this machine only (127.0.0.1) behind a random token."""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path

from werkzeug.serving import BaseWSGIServer, make_server

from grader.errors import GraderError
from grader.report import results_folder
from grader.review.app import create_app, make_token
from grader.rubric import load_rubric, resolve_rubric

VERB = "review"
SUMMARY = "the TAs' grading app in the browser (manual and inconclusive items)"
HOST = "127.0.0.1"


def review(args: argparse.Namespace) -> int:
    server, address = review_server(Path(args.out), args.rubric, port=args.port, grader=args.grader)
    print(f"grading {args.out} as {server.app.config['grader']}; open {address}")
    print("Ctrl-C stops the app; the grades are kept in the results folder.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def review_server(
    out_dir: Path, rubric_name: str | Path, *, port: int = 0, grader: str | None = None
) -> tuple[BaseWSGIServer, str]:
    """The app's threaded server bound to 127.0.0.1:PORT (0: a free one), and the address to open."""
    out_dir = results_folder(out_dir)
    name = (grader or getpass.getuser()).strip()
    if not name:
        raise GraderError("--grader must name the TA")
    token = make_token()
    app = create_app(out_dir, load_rubric(resolve_rubric(rubric_name)), grader=name, token=token)
    app.config["grader"] = name
    try:
        server = make_server(HOST, port, app, threaded=True)
    except OSError as exc:
        raise GraderError(f"cannot listen on {HOST}:{port}: {exc}") from None
    return server, f"http://{HOST}:{server.server_port}/?token={token}"


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        VERB,
        description="Serve the grading app for OUT on 127.0.0.1: grade by question or by student, with the "
        "answer key, the student's report answer and notebook cells; every grade is stored in "
        "OUT/manual-grades.sqlite and merged into result.json, the reports and the gradebook at once.",
    )
    parser.add_argument("out", help="the --out folder of 'grader grade' or 'grader batch'")
    parser.add_argument("--rubric", required=True, help="a rubric YAML file or the name of a shipped rubric")
    parser.add_argument("--port", type=int, default=0, help="the port to listen on (default: a free one)")
    parser.add_argument(
        "--grader", default=None, help="the TA's name stored with each grade (default: login)"
    )
    parser.set_defaults(func=review)
