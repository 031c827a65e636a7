"""``grader precheck``: its defaults are the precheck API's."""

from __future__ import annotations

import inspect

from grader.cli import build_parser
from grader.precheck import precheck


def test_precheck_defaults_are_the_apis() -> None:
    args = build_parser().parse_args(["precheck"])
    defaults = inspect.signature(precheck).parameters
    assert (args.rubric, args.data, args.out) == (
        defaults["rubric"].default,
        defaults["data_dir"].default,
        defaults["out_dir"].default,
    )
