"""The ECE661 student template, derived from the same reference notebooks as the F20 one.

The reference has no ECE661 notebooks: ECE661 HW2 is the F20 homework with SimpleNN in place of LeNet-5, the
``mode='train'/'val'`` loader and a fourth notebook that writes ``predictions.csv`` from the checkpoint the
ResNet notebook saved. So each ECE661 notebook is an F20 template notebook (solutions already replaced by
placeholders) with those differences applied as text edits. Every edit must apply: when the reference
changes so that one no longer matches, the build fails instead of shipping an F20 sentence to ECE661.
"""

from __future__ import annotations

import nbformat
from nbformat import NotebookNode

from grader.errors import TemplateError

LAB1, LAB2, LAB3 = "lenet5-cifar10.ipynb", "lenet5-cifar10-dev.ipynb", "resnet-cifar10.ipynb"
SIMPLENN, SIMPLENN_DEV = "simplenn-cifar10.ipynb", "simplenn-cifar10-dev.ipynb"
RESNET, SAVE_PREDICTIONS = "resnet-cifar10.ipynb", "save_test_predictions.ipynb"
SAMPLE_CSV = "sample_predictions.csv"
CHECKPOINT = "./saved_model/resnet20.pth"  # what the ResNet notebook saves and the predictions one loads

_SIMPLENN = (
    "SimpleNN: a 5x5 convolution with 8 filters and a 3x3 convolution with 16 filters (no padding), each "
    "followed by ReLU and 2x2 max pooling, then fully-connected layers of 120, 84 and 10 units (ReLU on all "
    "but the last). It has 82,030 parameters."
)
_LOADER = (
    "Build a dataset and a `DataLoader` for the training split (shuffled) and the validation split.",
    'Build a dataset with `CIFAR10(root=DATAROOT, mode="train", download=True, transform=...)` and a '
    '`DataLoader` for the training split (shuffled), and the same with `mode="val"` for the validation '
    "split.",
)
_SIMPLENN_NAMES = (("LeNet5", "SimpleNN"), ("LeNet-5", "SimpleNN"))

# (old, new) text edits per ECE661 notebook, applied in order to every cell of its F20 source.
EDITS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    SIMPLENN: (
        LAB1,
        (
            ("the adapted LeNet-5 of Table 1", "SimpleNN"),
            ("## Step 0: Set up the LeNet-5 model\n", "## Step 0: Set up the SimpleNN model\n"),
            (
                "LeNet-5 as in Table 1: two 5x5 convolutions (6 and 16 filters, no padding) each followed by "
                "ReLU and 2x2 max pooling, then fully-connected layers of 120, 84 and 10 units (ReLU on all "
                "but the last). It has 62,006 parameters.",
                _SIMPLENN,
            ),
            ("the LeNet-5 model of Table 1", "the SimpleNN model"),
            *_SIMPLENN_NAMES,
            ("lenet5.pth", "simplenn.pth"),
            _LOADER,
        ),
    ),
    SIMPLENN_DEV: (
        LAB2,
        (
            ("the improved LeNet-5 model", "the improved SimpleNN model"),
            # ECE661 asks for BatchNorm after each convolution, not after the FC layers as F20 does.
            (
                "LeNet-5 of Table 1 with a batch normalization layer after every convolution and "
                "fully-connected layer except the last,",
                "SimpleNN with a batch normalization layer after each of its two convolutions,",
            ),
            (
                "# LeNet-5 of Table 1 with a BatchNorm after every CONV/FC layer but the last, and Swish",
                "# SimpleNN with a BatchNorm after each convolution, and Swish",
            ),
            *_SIMPLENN_NAMES,
            ("lenet5-dev.pth", "simplenn-dev.pth"),
            _LOADER,
        ),
    ),
    RESNET: (
        LAB3,
        (
            (
                "within about 200 epochs, then predict the labels of the held-out test images.",
                f"within about 200 epochs. `{SAVE_PREDICTIONS}` then predicts the labels of the held-out "
                "test images with the best checkpoint.",
            ),
            ("Replace LeNet-5", "Replace SimpleNN"),
            ("import csv\n", ""),
            _LOADER,
        ),
    ),
}
# The F20 Lab 3 notebook predicts in its last step; in ECE661 that step is the fourth notebook.
_PREDICT_STEP = "## Step 6: Predict the test set"


def _edited(nb: NotebookNode, name: str, edits: tuple[tuple[str, str], ...]) -> NotebookNode:
    for old, new in edits:
        hits = [cell for cell in nb.cells if old in cell.source]
        if not hits:
            raise TemplateError(f"{name}: the reference no longer contains {old!r}; update {__name__}.EDITS")
        for cell in hits:
            cell.source = cell.source.replace(old, new)
    return nb


def _markdown(cell_id: str, source: str) -> NotebookNode:
    cell = nbformat.v4.new_markdown_cell(source)
    cell.id = cell_id  # fixed, so that a rebuild is byte-identical
    return cell


def _code(cell_id: str, source: str) -> NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.id = cell_id
    return cell


def _save_predictions(lab3: NotebookNode) -> NotebookNode:
    """The fourth notebook: F20 Lab 3's imports, model, transforms and device cells, then its prediction
    step."""
    nb = nbformat.from_dict(lab3)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    if len(code) != 9:
        raise TemplateError(
            f"{LAB3}: expected 9 code cells to take the predictions notebook from, found {len(code)}"
        )
    imports, model, transforms, device, predict = (code[i] for i in (0, 1, 3, 5, -1))
    predict_md = next((cell for cell in nb.cells if cell.source.startswith(_PREDICT_STEP)), None)
    if predict_md is None:
        raise TemplateError(f"{LAB3}: no markdown cell starts with {_PREDICT_STEP!r}")
    nb.cells = [
        _markdown(
            "title",
            "# Lab 3: Predictions on the held-out test set\n\nRun `resnet-cifar10.ipynb` first: this "
            f"notebook loads the best checkpoint it saved (`{CHECKPOINT}`), predicts a label for every "
            "held-out test image and writes `predictions.csv`.\n\nComplete every region marked `# your code` "
            'and run all cells from top to bottom. Do not change the lines marked "do NOT change".',
        ),
        imports,
        _markdown(
            "step0-md",
            "## Step 0: The ResNet-20 model\nThe same ResNet-20 as in `resnet-cifar10.ipynb`: the "
            "checkpoint's weights must fit it.",
        ),
        model,
        _markdown(
            "step1-md",
            "## Step 1: Set up preprocessing functions\nThe same transforms as in `resnet-cifar10.ipynb`; "
            "the test images go through `transform_val`.",
        ),
        transforms,
        _markdown(
            "step2-md",
            "## Step 2: Instantiate your model\nCreate the model as `net` and move it to `device`.",
        ),
        device,
        _code(
            "settings",
            "# do NOT change these\n"
            'DATAROOT = "./data"\n'
            "VAL_BATCH_SIZE = 100\n"
            "NUM_WORKERS = 2\n"
            "# the best checkpoint resnet-cifar10.ipynb saved\n"
            f'CHECKPOINT_PATH = "{CHECKPOINT}"',
        ),
        _markdown(
            predict_md.id, predict_md.source.replace("Step 6", "Step 3").replace("sample.csv", SAMPLE_CSV)
        ),
        predict,
    ]
    return nb


def ece661_notebooks(f20: dict[str, NotebookNode]) -> dict[str, NotebookNode]:
    """The four ECE661 notebooks by name, from the F20 template notebooks by name."""
    missing = sorted({LAB1, LAB2, LAB3} - set(f20))
    if missing:
        raise TemplateError(f"the ECE661 template is derived from {', '.join(missing)}: not in the reference")
    notebooks = {
        name: _edited(nbformat.from_dict(f20[source]), name, edits) for name, (source, edits) in EDITS.items()
    }
    notebooks[SAVE_PREDICTIONS] = _save_predictions(f20[LAB3])
    lab3 = notebooks[RESNET]
    cut = next(i for i, cell in enumerate(lab3.cells) if cell.source.startswith(_PREDICT_STEP))
    lab3.cells = lab3.cells[:cut]
    for name, nb in notebooks.items():
        try:
            nbformat.validate(nb)
        except nbformat.ValidationError as exc:
            raise TemplateError(
                f"{name}: the template notebook is not valid nbformat ({exc.message})"
            ) from exc
    return notebooks
