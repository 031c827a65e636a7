"""The payloads sent into a sandboxed process: one self-contained script each, its arguments data."""

from __future__ import annotations

import ast

import pytest

from grader.execute import payload

NONCE = "0123456789abcdef" * 2
PAYLOADS = {
    "guard": payload.guard_source(5),
    "seeding": payload.seed_source(0),
    "probes": payload.probe_source(7, NONCE),
    "fresh_boot": payload.fresh_model_boot(),
    "fresh_model": payload.fresh_model_source(NONCE),
}


def test_probe_source_ends_with_the_call_and_inlines_its_helpers() -> None:
    source = payload.probe_source(7, NONCE)
    assert source.rstrip().endswith(f"run_probes(**{{'report_fd': 7, 'nonce': {NONCE!r}}})")
    assert "\nfrom grader" not in source and "def describe_model" in source
    compile(source, "probes", "exec")


@pytest.mark.parametrize("name", PAYLOADS)
def test_each_payload_is_one_script_that_imports_nothing_of_the_grader(name: str) -> None:
    source = PAYLOADS[name]
    assert source.startswith("from __future__ import annotations\n")
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0 and not (node.module or "").startswith("grader"), ast.unparse(node)
        elif isinstance(node, ast.Import):
            assert not any(alias.name.startswith("grader") for alias in node.names), ast.unparse(node)
    *_, last = tree.body
    assert isinstance(last, ast.Expr) and isinstance(last.value, ast.Call), "the payload ends with its call"


@pytest.mark.parametrize("name", PAYLOADS)
def test_the_inlined_modules_define_each_name_once(name: str) -> None:
    """They share one namespace in the kernel: a name defined twice would silently replace the first."""
    defined: list[str] = []
    for node in ast.parse(PAYLOADS[name]).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            defined.append(node.name)
        elif isinstance(node, ast.Assign):
            defined += [n.id for target in node.targets for n in ast.walk(target) if isinstance(n, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            defined.append(node.target.id)
    assert len(defined) == len(set(defined)), sorted({n for n in defined if defined.count(n) > 1})


def test_arguments_arrive_as_a_literal_whatever_they_hold() -> None:
    hostile = "x'), __import__('os').system('true'), ('\n"
    source = payload.payload_source("seeding", "seed_generators", seed=1, note=hostile)
    call = ast.parse(source).body[-1].value  # type: ignore[attr-defined]
    assert isinstance(call, ast.Call) and ast.unparse(call.func) == "seed_generators" and not call.args
    (keywords,) = call.keywords
    assert keywords.arg is None and ast.literal_eval(keywords.value) == {"seed": 1, "note": hostile}


@pytest.mark.parametrize("value", [object(), float("nan"), print])
def test_arguments_that_are_not_plain_data_are_refused(value: object) -> None:
    with pytest.raises(ValueError, match="not plain data"):
        payload.payload_source("seeding", "seed_generators", seed=value)


def test_the_entry_must_be_a_name() -> None:
    with pytest.raises(ValueError, match="not a function name"):
        payload.payload_source("seeding", "seed_generators(0); print")
