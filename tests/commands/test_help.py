"""Every verb's help reads as plain text, and ``grader --help`` lists each verb on one line, as git does."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator

import pytest

from grader.cli import COMMANDS, build_parser, main


def verb_paths(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*path, name)
                yield from verb_paths(sub, (*path, name))


def help_of(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as stop:
        main([*argv, "--help"])
    assert stop.value.code == 0
    return capsys.readouterr().out


def assert_plain(text: str) -> None:
    assert "`" not in text, "backticks are markup, not plain text"
    assert not re.search(r":[a-z]+:", text), "an RST role such as :func:"
    assert "%(" not in text and "None" not in text, "a default that argparse did not fill in"


def test_every_verb_has_plain_help(capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    paths = list(verb_paths(build_parser()))
    assert {path[0] for path in paths} == {command.VERB for command in COMMANDS}
    assert ("data", "build") in paths and ("template", "check") in paths
    for path in paths:
        text = help_of(list(path), capsys)
        assert text.startswith(f"usage: grader {' '.join(path)} ")
        assert_plain(text)


def test_the_top_level_help_lists_each_verb_on_one_line(capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")  # narrower than the verb list: it must not wrap
    text = help_of([], capsys)
    assert_plain(text)
    lines = text.splitlines()
    for command in COMMANDS:
        (line,) = [line for line in lines if line.split()[:1] == [command.VERB]]
        assert line.split(None, 1)[1] == command.SUMMARY
    listed = [line.split()[0] for line in lines if line.startswith("   ") and line.split()]
    assert listed == [command.VERB for command in COMMANDS]
