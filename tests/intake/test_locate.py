"""Finding the handout's files: exact layouts pass silently, realistic slips are accepted and reported."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from grader.intake.locate import NESTED_DIR, ExpectedFile, locate_files
from grader.intake.unpack import IntakeLimits
from grader.paths import COURSE_TOOLS
from tests.crafted import zip_files

LAB1, DEV, RESNET = "lenet5-cifar10.ipynb", "lenet5-cifar10-dev.ipynb", "resnet-cifar10.ipynb"
EXPECTED = [
    ExpectedFile("lab1", LAB1),
    ExpectedFile("lab2", DEV),
    ExpectedFile("lab3", RESNET),
    ExpectedFile("predictions", "predictions.csv"),
]


def make_tree(root: Path, names: list[str]) -> Path:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)
    return root


def rel(root: Path, path: Path | None) -> str | None:
    return None if path is None else path.relative_to(root).as_posix()


def kinds(located) -> list[tuple[str, str]]:
    return [(f.kind, f.severity) for f in located.findings]


@pytest.mark.parametrize("folder", ["", "code/", "hw2/code/"])
def test_exact_layout_passes_without_findings(tmp_path: Path, folder: str) -> None:
    root = make_tree(
        tmp_path, [folder + LAB1, folder + DEV, folder + RESNET, "predictions.csv", "report.pdf"]
    )
    located = locate_files(root, EXPECTED)
    assert located.findings == []
    assert located.format_ok
    assert rel(root, located.paths["lab2"]) == folder + DEV
    assert rel(root, located.paths["report"]) == "report.pdf"


@pytest.mark.parametrize(
    ("name", "penalised"),
    [("resnet_cifar10.ipynb", False), ("ResNet_CIFAR10.ipynb", False), ("ResNet-CIFAR10 (2).ipynb", True)],
)
def test_only_case_and_separators_are_forgiven_without_deduction(
    tmp_path: Path, name: str, penalised: bool
) -> None:
    root = make_tree(tmp_path, [LAB1, DEV, name, "predictions.csv", "report.pdf"])
    located = locate_files(root, EXPECTED)
    assert rel(root, located.paths["lab3"]) == name
    assert located.format_ok is not penalised
    assert kinds(located) == [("file-name", "warning" if penalised else "info")]


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("LeNet5-CIFAR10.ipynb", "lab1"),
        ("lenet5_cifar10.ipynb", "lab1"),
        ("lenet5 cifar10.ipynb", "lab1"),
        ("Lenet5_cifar10 (1).ipynb", "lab1"),
        ("Copy of lenet5-cifar10.ipynb", "lab1"),
        ("lenet5-cifar10_final.ipynb", "lab1"),
        ("doejohn_12345_67890_lenet5-cifar10-1.ipynb", "lab1"),
        ("lenet5-cifar10-dev1.ipynb", "lab2"),
        ("LeNet5_CIFAR10_Dev.ipynb", "lab2"),
        ("resnet_cifar10.ipynb", "lab3"),
        ("ResNet-CIFAR10 (2).ipynb", "lab3"),
        ("predictions (1).csv", "predictions"),
    ],
)
def test_tolerant_names_are_accepted_and_reported(tmp_path: Path, name: str, key: str) -> None:
    located = locate_files(make_tree(tmp_path, [name]), EXPECTED, report_pattern=None)
    assert rel(tmp_path, located.paths[key]) == name
    wanted = next(e.filename for e in EXPECTED if e.key == key)
    typed_differently = name.lower().replace("_", "-").replace(" ", "-") == wanted
    noted = [f for f in located.findings if f.kind == "file-name"]
    assert [(f.severity, f.detail) for f in noted] == [
        ("info" if typed_differently else "warning", f"found {name!r} for expected {wanted!r}")
    ]
    others = [k for k, path in located.paths.items() if k != key]
    assert all(located.paths[k] is None for k in others), "one file must never fill two expected slots"


def test_lab1_and_lab2_are_never_confused(tmp_path: Path) -> None:
    only_dev = locate_files(make_tree(tmp_path / "a", [DEV]), EXPECTED[:2], report_pattern=None)
    assert only_dev.paths["lab1"] is None and only_dev.paths["lab2"] is not None
    assert "unmatched .ipynb" not in only_dev.findings[0].detail

    only_dev_renamed = locate_files(
        make_tree(tmp_path / "b", ["LeNet5_CIFAR10_dev.ipynb"]), EXPECTED[:2], None
    )
    assert only_dev_renamed.paths["lab1"] is None
    assert only_dev_renamed.paths["lab2"].name == "LeNet5_CIFAR10_dev.ipynb"

    both = locate_files(
        make_tree(tmp_path / "c", ["LeNet5_CIFAR10.ipynb", "lenet5_cifar10_dev1.ipynb"]), EXPECTED[:2], None
    )
    assert both.paths["lab1"].name == "LeNet5_CIFAR10.ipynb"
    assert both.paths["lab2"].name == "lenet5_cifar10_dev1.ipynb"


def test_missing_file_names_what_was_expected_and_what_was_there(tmp_path: Path) -> None:
    root = make_tree(tmp_path, [LAB1, DEV, "hw1.ipynb", "scratch.ipynb", "predictions.csv"])
    located = locate_files(root, EXPECTED, report_pattern=None)
    assert located.paths["lab3"] is None
    assert not located.format_ok
    [missing] = [f for f in located.findings if f.kind == "missing-file"]
    assert missing.severity == "error"
    assert "'resnet-cifar10.ipynb'" in missing.detail and "'scratch.ipynb'" in missing.detail


@pytest.mark.parametrize(
    ("names", "key", "offered"),
    [
        # an off-standard suffix for the dev notebook, beside another homework's notebook
        (
            ["simplenn-cifar10.ipynb", "simplenn-cifar10-enhanced.ipynb", "SimpleNN-2.ipynb"],
            "dev",
            "enhanced",
        ),
        # a depth in the name, beside two unrelated notebooks
        (
            ["resnet20-cifar10.ipynb", "save_test_predictions.ipynb", "Math466 HW1.ipynb"],
            "resnet",
            "resnet20",
        ),
        # the only notebook left for the only notebook missing, however it is called
        (["myNet.ipynb", "simplenn-cifar10-dev.ipynb", "resnet-cifar10.ipynb"], "lab1", "myNet"),
        (["predicted_test.csv", "simplenn-cifar10.ipynb"], "predictions", "predicted_test"),
    ],
)
def test_a_renamed_file_is_offered_as_the_match_with_a_warning(
    tmp_path: Path, names: list[str], key: str, offered: str
) -> None:
    expected = [
        ExpectedFile("lab1", "simplenn-cifar10.ipynb"),
        ExpectedFile("dev", "simplenn-cifar10-dev.ipynb"),
        ExpectedFile("resnet", "resnet-cifar10.ipynb"),
        ExpectedFile("predictions", "predictions.csv"),
    ]
    root = make_tree(tmp_path, names)
    (root / "myNet.ipynb").write_text(
        json.dumps({"cells": [{"cell_type": "code", "source": "data = CIFAR10(root)\noptim.SGD(p)"}]})
    )
    located = locate_files(root, expected, report_pattern=None)
    assert offered in located.paths[key].name
    assert not located.format_ok
    [note] = [f for f in located.findings if f.detail.startswith("graded")]
    assert note.severity == "warning" and offered in note.detail and expected[0].filename != note.detail
    # another homework's notebook is never taken for a lab
    assert all(
        p is None or "SimpleNN-2" not in p.name and "Math466" not in p.name for p in located.paths.values()
    )


def test_a_leftover_notebook_that_trains_nothing_is_not_taken_by_elimination(tmp_path: Path) -> None:
    root = make_tree(tmp_path, ["simplenn-cifar10.ipynb", "simplenn-cifar10-dev.ipynb"])
    (root / "testing_gpu.ipynb").write_text(
        json.dumps({"cells": [{"cell_type": "code", "source": "torch.cuda.is_available()"}]})
    )
    expected = [
        ExpectedFile(k, f) for k, f in [("a", "simplenn-cifar10.ipynb"), ("b", "resnet-cifar10.ipynb")]
    ]
    assert locate_files(root, expected, report_pattern=None).paths["b"] is None


def test_the_only_leftover_notebook_that_trains_is_offered_beside_scratch_notebooks(tmp_path: Path) -> None:
    # an F19 Assignment 5 under a name of the student's own, beside a plot helper and a loader test
    root = make_tree(tmp_path, ["lenet5-cifar10.ipynb"])
    for name, source in [
        ("vgg16.ipynb", "train = CIFAR10(root)\noptimizer = optim.SGD(net.parameters(), lr=0.1)"),
        ("LabRNN-1.ipynb", "optimizer = optim.Adam(rnn.parameters())"),  # another course's lab, on text
        ("plot-helper.ipynb", "plt.plot(acc)"),
        ("loader-for-testing.ipynb", "class CIFAR10Test: pass"),
    ]:
        (root / name).write_text(json.dumps({"cells": [{"cell_type": "code", "source": source}]}))
    expected = [ExpectedFile("lenet5", "lenet5-cifar10.ipynb"), ExpectedFile("mydnn", "mydnn-cifar10.ipynb")]
    located = locate_files(root, expected, report_pattern=None)
    assert located.paths["mydnn"].name == "vgg16.ipynb"
    [note] = [f for f in located.findings if f.detail.startswith("graded")]
    assert note.severity == "warning" and "trains a model" in note.detail
    (root / "plot-helper.ipynb").write_text(
        json.dumps({"cells": [{"cell_type": "code", "source": "CIFAR10(root)\noptimizer = optim.Adam(p)"}]})
    )
    assert locate_files(root, expected, report_pattern=None).paths["mydnn"] is None  # two could be it


def test_the_course_sample_is_never_taken_for_the_students_predictions(tmp_path: Path) -> None:
    root = make_tree(tmp_path, ["simplenn-cifar10.ipynb", "sample_predictions.csv", "sample_labels.csv"])
    located = locate_files(root, [ExpectedFile("predictions", "predictions.csv")], report_pattern=None)
    assert located.paths["predictions"] is None
    [missing] = [f for f in located.findings if f.kind == "missing-file"]
    assert "predictions.csv" in missing.detail


def test_of_two_copies_the_executed_one_is_graded_and_both_are_named(tmp_path: Path) -> None:
    blank = {"cells": [{"cell_type": "code", "execution_count": None, "source": "", "outputs": []}]}
    ran = {"cells": [{"cell_type": "code", "execution_count": 3, "source": "", "outputs": []}]}
    (tmp_path / "code").mkdir()
    (tmp_path / "resnet-cifar10.ipynb").write_text(json.dumps(blank))
    (tmp_path / "code" / "resnet-cifar10.ipynb").write_text(json.dumps(ran))
    located = locate_files(tmp_path, [ExpectedFile("resnet", "resnet-cifar10.ipynb")], report_pattern=None)
    assert rel(tmp_path, located.paths["resnet"]) == "code/resnet-cifar10.ipynb"
    [dup] = [f for f in located.findings if f.kind == "duplicate-file"]
    assert "'resnet-cifar10.ipynb'" in dup.detail.split("ignored")[1]


def test_course_tools_files_beside_the_notebooks_are_noted(tmp_path: Path) -> None:
    root = make_tree(
        tmp_path, ["HW2/simplenn-cifar10.ipynb", "HW2/dataset.py", "HW2/utils.py", "HW2/train.py"]
    )
    located = locate_files(root, [ExpectedFile("lab1", "simplenn-cifar10.ipynb")], report_pattern=None)
    [note] = [f for f in located.findings if f.kind == "course-tools-outside"]
    assert (
        "'HW2/dataset.py'" in note.detail
        and "'HW2/utils.py'" in note.detail
        and "train.py" not in note.detail
    )


def test_duplicates_prefer_exact_then_shallowest_then_newest(tmp_path: Path) -> None:
    exact = locate_files(make_tree(tmp_path / "a", [LAB1, "lenet5-cifar10 (1).ipynb"]), EXPECTED[:1], None)
    assert exact.paths["lab1"].name == LAB1
    assert exact.format_ok, "an exact file with a stray copy beside it still follows the handout"
    [dup] = [f for f in exact.findings if f.kind == "duplicate-file"]
    assert dup.severity == "warning"
    assert f"used {LAB1!r}" in dup.detail and "'lenet5-cifar10 (1).ipynb'" in dup.detail

    shallow = locate_files(make_tree(tmp_path / "b", ["old/v1/" + LAB1, "code/" + LAB1]), EXPECTED[:1], None)
    assert rel(tmp_path / "b", shallow.paths["lab1"]) == "code/" + LAB1

    newest = locate_files(
        make_tree(tmp_path / "c", ["lenet5_cifar10 (1).ipynb", "lenet5_cifar10 (2).ipynb"]),
        EXPECTED[:1],
        None,
    )
    assert newest.paths["lab1"].name == "lenet5_cifar10 (2).ipynb"
    again = locate_files(tmp_path / "c", EXPECTED[:1], None)
    assert again.paths == newest.paths and again.findings == newest.findings


def test_a_file_deeper_than_two_folders_is_found_but_not_exact(tmp_path: Path) -> None:
    located = locate_files(make_tree(tmp_path, ["a/b/c/" + LAB1]), EXPECTED[:1], None)
    assert rel(tmp_path, located.paths["lab1"]) == "a/b/c/" + LAB1
    assert not located.format_ok
    assert "deeper than two folders" in located.findings[0].detail


def test_report_is_found_and_missing_report_is_an_error(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "a", [LAB1, "figures.pdf", "hw2_report.PDF"])
    located = locate_files(root, EXPECTED[:1])
    assert located.paths["report"].name == "hw2_report.PDF"
    assert ("duplicate-file", "info") in kinds(located)
    assert located.format_ok

    without = locate_files(make_tree(tmp_path / "b", [LAB1]), EXPECTED[:1])
    assert without.paths["report"] is None
    assert ("missing-file", "error") in kinds(without) and not without.format_ok


def test_nested_code_zip_is_unpacked_and_searched(tmp_path: Path) -> None:
    root = make_tree(tmp_path, ["predictions.csv", "report.pdf"])
    zip_files(root / "code.zip", {LAB1: "1", "code/" + DEV: "2", RESNET: "3", "__MACOSX/._x": "junk"})
    zip_files(root / "cifar10_trainval_f20.zip", {"train-images-batch.npy": "x"})  # course data, not searched
    located = locate_files(root, EXPECTED)
    assert kinds(located) == [("junk-ignored", "info")] and located.format_ok
    assert located.paths["lab1"].read_text() == "1"
    assert located.paths["lab2"].read_text() == "2"
    assert located.paths["lab1"].is_relative_to(root / NESTED_DIR)
    again = locate_files(root, EXPECTED)
    assert again.findings == located.findings and again.paths["lab3"].read_text() == "3"


def test_a_notebook_both_loose_and_in_code_zip_is_a_duplicate(tmp_path: Path) -> None:
    root = make_tree(tmp_path, [LAB1])
    zip_files(root / "code.zip", {LAB1: "zipped"})
    located = locate_files(root, EXPECTED[:1], None)
    assert located.paths["lab1"].read_text() == "zipped"
    [dup] = located.findings
    assert dup.kind == "duplicate-file" and f"'code.zip:{LAB1}'" in dup.detail and f"'{LAB1}'" in dup.detail


def test_a_hostile_nested_zip_is_reported_not_raised(tmp_path: Path) -> None:
    root = make_tree(tmp_path, ["predictions.csv"])
    zip_files(root / "code.zip", {f"f{i}.txt": "x" for i in range(5)})
    located = locate_files(root, EXPECTED, None, limits=IntakeLimits(max_files=3))
    assert ("nested-zip", "error") in kinds(located)
    assert "code.zip was not searched" in located.findings[0].detail
    assert located.paths["lab1"] is None and not located.format_ok


def copy_course_tools(dest: Path) -> Path:
    dest.mkdir(parents=True)
    for module in COURSE_TOOLS.glob("*.py"):
        shutil.copy(module, dest / module.name)
    return dest


def test_course_tools_copy_is_reported_and_compared(tmp_path: Path) -> None:
    assert (COURSE_TOOLS / "dataset.py").is_file()
    same = tmp_path / "same"
    copy_course_tools(same / "code" / "tools")
    located = locate_files(make_tree(same, ["code/" + LAB1]), EXPECTED[:1], None)
    assert kinds(located) == [("course-tools-copy", "info")]
    assert "ignored: the grader supplies the course tools package" in located.findings[0].detail

    crlf = tmp_path / "crlf"
    tools = copy_course_tools(crlf / "tools")
    for module in tools.glob("*.py"):
        module.write_bytes(module.read_bytes().replace(b"\n", b"\r\n"))
    assert kinds(locate_files(make_tree(crlf, [LAB1]), EXPECTED[:1], None)) == [("course-tools-copy", "info")]

    edited = tmp_path / "edited"
    tools = copy_course_tools(edited / "tools")
    (tools / "dataset.py").write_text("# made it faster\n")
    (tools / "helpers.py").write_text("x = 1\n")
    located = locate_files(edited, EXPECTED[:1], None)
    [diff] = [f for f in located.findings if f.kind == "course-tools-edited"]
    assert diff.severity == "warning"
    assert "edited dataset.py" in diff.detail and "added helpers.py" in diff.detail


def test_keys_must_be_unique(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unique"):
        locate_files(tmp_path, [ExpectedFile("a", LAB1), ExpectedFile("a", DEV)])
