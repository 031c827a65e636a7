"""What the fresh process may run of a notebook, and the expressions it tries to rebuild the model with."""

from __future__ import annotations

import nbformat

from grader.static.rebuild import constructor_candidates, definitions

CELLS = [
    "import torch\nimport torch.nn as nn\nfrom torchsummary import summary\n%matplotlib inline",
    "device = 'cuda' if torch.cuda.is_available() else 'cpu'\nEPOCHS = 30\nswish = lambda x: x * x.sigmoid()",
    "class Block(nn.Module):\n    def __init__(self, c):\n"
    "        super().__init__()\n        self.c = nn.Conv2d(c, c, 3)",
    "",
    "class Net(nn.Module):\n    def __init__(self, block, widths):\n        super().__init__()",
    "trainset = CIFAR10('./data', train=True)\nloader = torch.utils.data.DataLoader(trainset)",
    "net = Net(Block, [16, 32]).to(device)\nsummary(net, (3, 32, 32))",
    "for epoch in range(EPOCHS):\n    train(net)\nhistory = train(net)",
    "def build(width):\n    return Net(Block, [width])\nfor width in (8, 16):\n    model = build(width)",
]


def notebook() -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])


def test_definitions_keep_imports_classes_functions_and_cheap_assignments_only() -> None:
    found = definitions(notebook())
    text = "\n".join(d.source for d in found)
    assert "from torchsummary import summary" in text and "class Net" in text and "def build" in text
    assert "device = 'cuda' if torch.cuda.is_available() else 'cpu'" in text and "EPOCHS = 30" in text
    assert "net = Net(Block, [16, 32]).to(device)" in text  # a notebook class: cheap to build
    for expensive in ("CIFAR10", "DataLoader", "summary(net", "train(net)", "for epoch"):
        assert expensive not in text, expensive
    assert [d.cell for d in found] == sorted(d.cell for d in found)


def test_candidates_come_from_the_variable_then_every_call_of_the_class_then_a_bare_call() -> None:
    assert constructor_candidates(notebook(), "net", "Net") == [
        "Net(Block, [16, 32])",
        "Net(Block, [width])",
        "Net()",
    ]
    assert constructor_candidates(notebook(), "model", "Net")[:2] == ["build(width)", "Net(Block, [width])"]
