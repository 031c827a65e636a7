"""quick_mode_cause: which cell errors of a quick run are quick mode's doing, and which stay the student's."""

from __future__ import annotations

from grader.execute.quick_faults import quick_mode_cause

EPOCHS_CUT = {
    "name": "EPOCHS",
    "new": 5,
    "cell": 3,
    "line": 1,
    "old": "30",
    "applied": True,
    "kind": "setting",
}
SWEEP_CUT = {
    "name": "l_LR",
    "new": "[0.1]",
    "cell": 4,
    "line": 1,
    "old": "[0.1, 0.01]",
    "applied": True,
    "kind": "sweep",
}
MISMATCH = "x and y must have same first dimension, but have shapes (30,) and (5,)"


def test_a_plot_written_for_thirty_epochs_is_quick_modes_doing() -> None:
    cause = quick_mode_cause("plt.plot(range(30), val_acc)", 6, "ValueError", MISMATCH, [EPOCHS_CUT])
    assert cause == EPOCHS_CUT


def test_an_index_past_a_shortened_sweep_is_quick_modes_doing() -> None:
    source = "print(l_LR[1], lr_val_acc[1])"
    assert quick_mode_cause(source, 7, "IndexError", "list index out of range", [SWEEP_CUT]) == SWEEP_CUT


def test_other_errors_stay_the_students() -> None:
    plot = "plt.plot(np.arange(EPOCHS), hist)"
    assert quick_mode_cause(plot, 6, "NameError", "name 'hist' is not defined", [EPOCHS_CUT]) is None
    # a wrong model in a training cell that merely reads EPOCHS: the message names no changed value
    training = "for epoch in range(EPOCHS):\n    net(x)"
    matmul = "mat1 and mat2 shapes cannot be multiplied (128x400 and 256x120)"
    assert quick_mode_cause(training, 6, "RuntimeError", matmul, [EPOCHS_CUT]) is None
    # the cell reads nothing quick mode changed
    assert quick_mode_cause("plt.plot(a, b)", 6, "ValueError", MISMATCH, [EPOCHS_CUT]) is None
    # the change came after the failing cell, or was not applied
    assert quick_mode_cause(plot, 2, "ValueError", MISMATCH, [EPOCHS_CUT]) is None
    assert quick_mode_cause(plot, 6, "ValueError", MISMATCH, [{**EPOCHS_CUT, "applied": False}]) is None
