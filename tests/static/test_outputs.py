"""Stored outputs: the curves, the best accuracy and the execution state a notebook claims."""

from __future__ import annotations

import pytest
from nbformat import v4

from grader.static.outputs import parse_stored_outputs


def stream(text: str, name: str = "stdout"):
    return v4.new_output("stream", name=name, text=text)


def epoch_lines(train: list[float], val: list[float], fmt: str = "%.4f") -> str:
    lines = []
    for i, (t, v) in enumerate(zip(train, val, strict=True)):
        lines.append(f"Epoch {i}:")
        lines.append(f"Training loss: {1.5 - i / 10:.4f}, Training accuracy: {fmt % t}")
        lines.append(f"Validation loss: {1.4 - i / 10:.4f}, Validation accuracy: {fmt % v}")
    return "\n".join(lines) + "\n"


def executed_notebook():
    return v4.new_notebook(
        cells=[
            v4.new_markdown_cell("# Lab 1"),
            v4.new_code_cell("import torch", execution_count=1),
            v4.new_code_cell(
                "train()",
                execution_count=2,
                outputs=[
                    stream("==> Training starts!\n" + epoch_lines([0.40, 0.50, 0.55], [0.45, 0.52, 0.51])),
                    stream("UserWarning: something\n", name="stderr"),
                    stream("==> Optimization finished! Best validation accuracy: 0.5200\n"),
                ],
            ),
            v4.new_code_cell(
                "evaluate()",
                execution_count=3,
                outputs=[
                    v4.new_output("error", ename="RuntimeError", evalue="CUDA out of memory", traceback=[])
                ],
            ),
            v4.new_code_cell("write_predictions()"),
            v4.new_code_cell("   \n"),
        ]
    )


def test_executed_notebook_claims() -> None:
    out = parse_stored_outputs(executed_notebook())
    assert out.val_accuracies == [0.45, 0.52, 0.51]
    assert out.train_accuracies == [0.40, 0.50, 0.55]
    assert out.train_losses == pytest.approx([1.5, 1.4, 1.3])
    assert out.val_losses == pytest.approx([1.4, 1.3, 1.2])
    assert (out.claimed_best_val_accuracy, out.best_source) == (0.52, "printed")
    assert out.error_cells == [(3, "RuntimeError", "CUDA out of memory")]
    assert out.unexecuted_code_cells == [4], "a blank cell is not 'unexecuted'"
    assert not out.executed
    assert out.execution_order_ok


def test_fully_executed_in_order_and_out_of_order() -> None:
    nb = executed_notebook()
    nb.cells = nb.cells[:3]
    assert parse_stored_outputs(nb).executed
    nb.cells[1].execution_count = 7
    assert not parse_stored_outputs(nb).execution_order_ok


def test_percent_curves_are_normalised_as_a_series() -> None:
    text = epoch_lines([9.5, 30.25, 60.0], [0.98, 5.3, 64.12], fmt="%.2f")
    nb = v4.new_notebook(cells=[v4.new_code_cell("t()", execution_count=1, outputs=[stream(text)])])
    out = parse_stored_outputs(nb)
    assert out.val_accuracies == pytest.approx([0.0098, 0.053, 0.6412]), (
        "0.98 in a percent series means 0.98%"
    )
    assert out.train_accuracies == pytest.approx([0.095, 0.3025, 0.60])
    assert (out.claimed_best_val_accuracy, out.best_source) == (pytest.approx(0.6412), "curve-max")
    assert any("percent" in note for note in out.notes) and any("maximum" in note for note in out.notes)


def test_percent_signs_and_printed_best_in_percent() -> None:
    text = "val acc = 61.5%\nVal Acc: 63.00 %\nBest validation accuracy: 63.00\n"
    nb = v4.new_notebook(cells=[v4.new_code_cell("t()", execution_count=1, outputs=[stream(text)])])
    out = parse_stored_outputs(nb)
    assert out.val_accuracies == pytest.approx([0.615, 0.63])
    assert out.claimed_best_val_accuracy == pytest.approx(0.63)
    assert out.best_source == "printed"


def test_only_unambiguous_lines_count() -> None:
    text = "\r".join(
        [
            "Epoch 3 [=====>....] 45%",
            "val acc improved from 0.5000 to 0.6000, saving model",
            "Validation accuracy: 0.6000, Validation accuracy: 0.7000",
            "Best val acc: 0.6100",
            "loss: 0.9 - accuracy: 0.7 - val_loss: 1.1 - val_accuracy: 0.6500",
            "Test accuracy: 0.9900",
            "Validation accuracy: 1.5000e-01",
            "Validation accuracy: 250.0",
        ]
    )
    nb = v4.new_notebook(cells=[v4.new_code_cell("t()", execution_count=1, outputs=[stream(text)])])
    out = parse_stored_outputs(nb)
    assert out.val_accuracies == [0.65, 0.15]
    assert out.val_losses == [1.1]
    assert out.claimed_best_val_accuracy == 0.61
    assert any("two values" in note for note in out.notes)
    assert any("impossible" in note for note in out.notes)


def test_no_curves_no_claims() -> None:
    out = parse_stored_outputs(v4.new_notebook(cells=[v4.new_code_cell("x = 1")]))
    assert out.val_accuracies == [] and out.claimed_best_val_accuracy is None and out.best_source is None
    assert out.unexecuted_code_cells == [0] and not out.executed


def test_the_best_run_is_the_claim_and_every_run_is_listed() -> None:
    """A dev notebook's best run (cell 1) stays the claim when a later experiment (cell 2) and a sweep
    (cell 3, one 'best' line per member) end lower, as in real Lab 2 notebooks."""
    best = "==> Optimization finished! Best validation accuracy: {:.4f}\n"
    nb = v4.new_notebook(
        cells=[
            v4.new_code_cell("import torch", execution_count=1),
            v4.new_code_cell("train(aug)", execution_count=2, outputs=[stream(best.format(0.7194))]),
            v4.new_code_cell("train(bn)", execution_count=3, outputs=[stream(best.format(0.6664))]),
            v4.new_code_cell(
                "for lr in lrs: train(lr)",
                execution_count=4,
                outputs=[stream("".join(best.format(v) for v in (0.1028, 0.7100, 0.6228)))],
            ),
        ]
    )
    stored = parse_stored_outputs(nb)
    assert stored.claimed_best_val_accuracy == pytest.approx(0.7194)
    assert stored.best_source == "printed"
    assert [cell for cell, _ in stored.best_runs] == [1, 2, 3, 3, 3]
    assert [round(value, 4) for _, value in stored.best_runs] == [0.7194, 0.6664, 0.1028, 0.71, 0.6228]
