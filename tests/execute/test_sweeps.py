"""shorten_sweeps: a loop that trains once per learning rate keeps its first member; nothing else moves."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from grader.execute.overrides import Override
from grader.execute.sweeps import shorten_sweeps

# the shape of a real LR sweep (a dev notebook trains a fresh model per rate, for EPOCHS epochs each)
LR_SWEEP = """l_LR = [0.1, 0.05, 0.01, 0.005]  # rates to try
lr_val_acc = []
EPOCHS = 30
for lr in l_LR:
    model = Net()
    _, _, acc, _ = train_test_NN(model, EPOCHS, lr)
    lr_val_acc.append(acc)
"""


def notebook(*sources: str) -> nbformat.NotebookNode:
    return new_notebook(cells=[new_code_cell(s) for s in sources])


def test_a_learning_rate_sweep_keeps_its_first_member() -> None:
    plot = "for i, lr in enumerate(l_LR):\n    plt.plot(np.arange(EPOCHS), lr_val_acc[i])"
    nb = notebook(LR_SWEEP, plot)
    (record,) = shorten_sweeps(nb, {"EPOCHS"})
    assert nb.cells[0].source == LR_SWEEP.replace("[0.1, 0.05, 0.01, 0.005]", "[0.1]")
    assert nb.cells[1].source == plot, "a loop that only plots is not a sweep"
    assert record == Override("l_LR", "[0.1]", cell=0, line=1, old="[0.1, 0.05, 0.01, 0.005]", kind="sweep")


def test_logspace_and_inline_lists_are_cut() -> None:
    source = (
        "l_REG = np.logspace(-4, -5, 4)\n"
        "for reg in l_REG:\n    train(net, reg)\n"
        "for wd in (1e-3, 1e-4):\n    for x, y in loader:\n        loss(net(x), y).backward()\n"
    )
    nb = notebook(source)
    records = shorten_sweeps(nb, {"EPOCHS"}, keep=1)
    assert nb.cells[0].source == source.replace("-5, 4)", "-5, 1)").replace("(1e-3, 1e-4)", "(1e-3,)")
    assert [(r.name, r.old, r.new) for r in records] == [
        ("l_REG", "4", "1"),
        ("(0.001, 0.0001)", "(1e-3, 1e-4)", "(1e-3,)"),
    ]


def test_epoch_and_batch_loops_and_lists_from_other_cells_are_left_alone() -> None:
    cells = (
        "for epoch in range(EPOCHS):\n    train_one_epoch(net)",
        "for x, y in train_loader:\n    optimizer.step()",
        "rates = [0.1, 0.01]",
        "for lr in rates:\n    train(net, lr)",  # the list is in another cell
        "for lr in [0.1]:\n    train(net, lr)",  # one member: nothing to cut
    )
    nb = notebook(*cells)
    assert shorten_sweeps(nb, {"EPOCHS"}) == []
    assert [cell.source for cell in nb.cells] == list(cells)
