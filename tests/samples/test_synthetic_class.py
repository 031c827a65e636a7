"""The made-up class of batch tests and benchmarks: zips that read as executed, each student's different."""

from __future__ import annotations

import zipfile
from pathlib import Path

import nbformat

from grader.intake import content_sha256
from grader.paths import REFERENCE_NOTEBOOKS
from grader.samples.synthetic_class import STUB_PDF, make_class
from grader.static import parse_stored_outputs
from grader.static.predictions import read_predictions

NOTEBOOKS = sorted(path.name for path in REFERENCE_NOTEBOOKS.glob("*.ipynb"))


def entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_each_zip_holds_the_notebooks_a_report_and_predictions(tmp_path: Path) -> None:
    paths = make_class(tmp_path / "class", 3, rows=50)
    assert [p.name for p in paths] == ["student000.zip", "student001.zip", "student002.zip"]
    files = entries(paths[1])
    assert sorted(files) == sorted([*NOTEBOOKS, "predictions.csv", "report.pdf"])
    assert files["report.pdf"] == STUB_PDF
    (tmp_path / "predictions.csv").write_bytes(files["predictions.csv"])
    assert len(read_predictions(tmp_path / "predictions.csv", expected_rows=50).labels) == 50


def test_every_notebook_reads_as_executed_with_its_own_training_log(tmp_path: Path) -> None:
    (path,) = make_class(tmp_path, 1, seed=3, rows=10)
    for name, data in entries(path).items():
        if not name.endswith(".ipynb"):
            continue
        nb = nbformat.reads(data.decode(), as_version=4)
        stored = parse_stored_outputs(nb)
        assert stored.executed and stored.execution_order_ok and not stored.unexecuted_code_cells, name
        assert 5 <= len(stored.val_accuracies) < 40 and stored.val_accuracies[0] == 0.3, name
        assert stored.claimed_best_val_accuracy == max(stored.val_accuracies), name
        assert nb.cells[0].source == "Submitted by student000.", name
        first_code = next(cell for cell in nb.cells if cell.cell_type == "code")
        assert 'STUDENT = "student000"' in first_code.source, name


def claims(path: Path) -> dict[str, bytes | list[float]]:
    """What a zip's student claims: the predictions, and each notebook's validation curve."""
    files = entries(path)
    curves = {
        name: parse_stored_outputs(nbformat.reads(data.decode(), as_version=4)).val_accuracies
        for name, data in files.items()
        if name.endswith(".ipynb")
    }
    return {"predictions.csv": files["predictions.csv"], **curves}


def test_students_differ_and_a_seed_gives_the_same_claims(tmp_path: Path) -> None:
    first = make_class(tmp_path / "a", 3, seed=5, rows=20)
    assert len({content_sha256(p) for p in first}) == 3
    assert [claims(p) for p in make_class(tmp_path / "b", 3, seed=5, rows=20)] == [claims(p) for p in first]
    assert claims(make_class(tmp_path / "c", 1, seed=6, rows=20)[0]) != claims(first[0])
