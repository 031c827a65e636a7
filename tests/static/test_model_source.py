"""Module classes are found from the source, whatever the import style and definition order."""

from __future__ import annotations

from nbformat import v4

from grader.static import find_module_classes, parse_stored_outputs, scan_notebook


def notebook(*sources: str):
    return v4.new_notebook(cells=[v4.new_code_cell(s) for s in sources])


def test_module_classes_in_definition_order() -> None:
    nb = notebook(
        "import torch\nimport torch.nn as nn\nfrom torch.nn import Module",
        "class Swish(nn.Module):\n    pass\n\nclass Config:\n    pass",
        "%matplotlib inline\nclass Block(torch.nn.Module):\n    pass\nclass Head(Module):\n    pass",
        "class Deep(Wide):\n    pass\nclass Wide(Block):\n    pass",
        "class Stack(nn.Sequential):\n    pass",
        "class Broken(nn.Module:\n    pass",
    )
    assert find_module_classes(nb) == ["Swish", "Block", "Head", "Deep", "Wide", "Stack"]


def test_nn_alias_without_a_parsable_import() -> None:
    assert find_module_classes(notebook("import torch.nn as nn(", "class Net(nn.Module):\n    pass")) == [
        "Net"
    ]
    assert find_module_classes(notebook("class Net(object):\n    pass")) == []


def test_long_notebook_is_parsed_whole() -> None:
    """Twice the size of the reference ResNet notebook, with 2,000 epochs of printed curves."""
    epoch = "Training loss: 1.0, Training accuracy: 0.5\nValidation loss: 1.0, Validation accuracy: 0.5\n"
    cell = "import torch\nfor i in range(10):\n    x = torch.load(f'w{i}.pth', map_location='cpu')\n" * 10
    nb = notebook(*[cell] * 30)
    nb.cells[-1].outputs = [v4.new_output("stream", name="stdout", text=epoch * 2000)]
    nb.cells[-1].execution_count = 1
    assert all(f.kind != "torch-load-map-location" for f in scan_notebook(nb, "x.ipynb"))
    outputs = parse_stored_outputs(nb)
    assert find_module_classes(nb) == []
    assert len(outputs.val_accuracies) == 2000
