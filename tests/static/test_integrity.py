"""The integrity scan flags what code does (pretrained weights, downloads, local paths), not imports."""

from __future__ import annotations

import pytest
from nbformat import v4

from grader.paths import REFERENCE_NOTEBOOKS
from grader.static.integrity import scan_notebook
from grader.static.model_source import find_module_classes
from grader.static.notebook import load_notebook
from grader.static.outputs import parse_stored_outputs

NAME = "resnet-cifar10.ipynb"


def notebook(*sources: str):
    """A markdown cell first, so code cell i sits at index i + 1 (indices count every cell)."""
    return v4.new_notebook(cells=[v4.new_markdown_cell("# Lab")] + [v4.new_code_cell(s) for s in sources])


def scan(*sources: str) -> list[tuple[str, str, int | None, int | None]]:
    return [(f.kind, f.severity, f.cell, f.line) for f in scan_notebook(notebook(*sources), NAME)]


@pytest.mark.parametrize(
    "code",
    [
        "from torchvision import models\nnet = models.resnet18(pretrained=True)",
        "import torchvision\nnet = torchvision.models.resnet18(weights='IMAGENET1K_V1')",
        "from torchvision.models import resnet18, ResNet18_Weights\n"
        "net = resnet18(weights=ResNet18_Weights.DEFAULT)",
        "import torch\nnet = torch.hub.load('pytorch/vision', 'resnet18')",
        "from torch.hub import load_state_dict_from_url\nsd = load_state_dict_from_url('https://x/r.pth')",
        "from torch.utils import model_zoo\nsd = model_zoo.load_url('https://x/r.pth')",
        "from transformers import AutoModel\nm = AutoModel.from_pretrained('microsoft/resnet-18')",
        "import timm\nnet = timm.create_model('resnet18', pretrained=True)",
        "import torchvision.models as tvm\nnet = tvm.resnet18(True)",
        "import torchvision\nkwargs = {'pretrained': True}",
    ],
)
def test_pretrained_weights_are_an_error(code: str) -> None:
    assert scan(code) == [("pretrained-weights", "error", 1, 2)]


def test_pretrained_from_a_variable_is_a_warning() -> None:
    assert scan("import timm\nnet = timm.create_model('resnet18', pretrained=USE)") == [
        ("pretrained-weights", "warning", 1, 2)
    ]


@pytest.mark.parametrize(
    "code",
    [
        "import urllib.request\nurllib.request.urlretrieve('https://x/data.zip', 'data.zip')",
        "from urllib.request import urlopen\npage = urlopen('https://x')",
        "import requests\nr = requests.get('https://x/w.pth')",
        "import wget\nwget.download('https://x/w.pth')",
        "import socket\ns = socket.socket()",
        "import torchvision\nds = torchvision.datasets.CIFAR10('./data', train=True, download=True)",
    ],
)
def test_downloads_are_flagged(code: str) -> None:
    assert scan(code) == [("download", "warning", 1, 2)]


@pytest.mark.parametrize(
    "code",
    [
        "!wget https://x/weights.pth",
        "!curl -O https://x/weights.pth",
        "!pip install timm",
        "%pip install timm",
        "!git clone https://github.com/x/y",
        "!gdown 1AbCdEf",
        "import os\nos.system('wget https://x/w.pth')",
    ],
)
def test_shell_downloads_are_flagged(code: str) -> None:
    [(kind, severity, cell, line)] = scan(code)
    assert (kind, severity, cell) == ("shell-download", "warning", 1)
    assert line == code.count("\n") + 1


def test_shell_lines_are_stripped_before_parsing_and_keep_line_numbers() -> None:
    code = (
        "import torch\nif True:\n    !pip install timm \\\n        --quiet\n    x = torch.load('w.pth')\n"
        "%matplotlib inline"
    )
    assert scan(code) == [("shell-download", "warning", 1, 3), ("torch-load-map-location", "info", 1, 5)]


def test_cell_magics() -> None:
    assert scan("%%bash\ncd /tmp\nwget https://x/w.pth") == [("shell-download", "warning", 1, 3)]
    assert scan("%%time\nimport torch\nnet = torch.hub.load('a', 'b')") == [
        ("pretrained-weights", "error", 1, 3)
    ]
    assert scan("%%html\n<b>pretrained=True</b>") == []


@pytest.mark.parametrize(
    "path",
    [
        "C:/Users/jdoe/hw2/data",
        "C:\\\\Users\\\\jdoe\\\\data",
        "/content/drive/MyDrive/hw2",
        "/Users/jdoe/Desktop/data",
        "/home/jdoe/data",
        "/gpfs/home/jdoe",
        "/scratch/jdoe/data",
    ],
)
def test_absolute_paths_are_a_warning(path: str) -> None:
    assert scan(f"import os\n\nDATAROOT = os.path.join('{path}', 'cifar10')") == [
        ("absolute-path", "warning", 1, 3)
    ]


def test_absolute_path_in_a_magic() -> None:
    assert scan("%cd /content/drive/MyDrive/hw2") == [("absolute-path", "warning", 1, 1)]


def test_torch_load_without_map_location_is_info() -> None:
    assert scan("import torch\nsd = torch.load(CHECKPOINT_PATH)") == [
        ("torch-load-map-location", "info", 1, 2)
    ]
    assert scan("import torch\nsd = torch.load(CHECKPOINT_PATH, map_location='cpu')") == []


def test_cell_that_does_not_parse_is_scanned_as_text() -> None:
    code = "def broken(:\n    pass\nnet = models.resnet18(pretrained=True)  # https://x/torch.hub.load\n"
    assert scan(code) == [("cell-syntax", "info", 1, 1), ("pretrained-weights", "error", 1, 3)]


def test_cell_and_line_numbers_count_every_cell() -> None:
    findings = scan_notebook(
        notebook("import torch", "x = 1\n\n# load\nnet = torch.hub.load('pytorch/vision', 'resnet18')"), NAME
    )
    [finding] = findings
    assert (finding.notebook, finding.cell, finding.line) == (NAME, 2, 4)
    assert finding.detail.startswith(f"{NAME} cell 2 line 4:")
    assert "torch.hub.load('pytorch/vision', 'resnet18')" in finding.detail


@pytest.mark.parametrize(
    "code",
    [
        "from torchvision import models\nimport timm\nimport torchvision.models as tvm",
        "from torchvision import models\nnet = models.resnet18(weights=None)",
        "from torchvision import models\nnet = models.resnet18(pretrained=False, num_classes=10)",
        "DATAROOT = './data'\nCHECKPOINT_PATH = os.path.join('saved_model', 'resnet20.pth')",
        "# weights from https://download.pytorch.org/models/resnet18.pth via torch.hub.load\nx = 1",
        "from torch.utils.data import WeightedRandomSampler\n"
        "sampler = WeightedRandomSampler(weights=w, num_samples=10)",
        "def f():\n    '''Reads /home/jdoe/data on my laptop.'''\n    return 1",
        "import json\ncfg = json.load(open('c.json'))\nnet.load_state_dict(torch.load(p, map_location=dev))",
        "from tools.dataset import CIFAR10\ntrainset = CIFAR10(root='./data', train=True, download=True)",
        "!nvidia-smi\n%matplotlib inline\nnet.eval()",
        "url = 'https://example.com/home/jdoe'\nroot = f'{base}/home/data'",
    ],
)
def test_innocent_code_is_not_flagged(code: str) -> None:
    assert scan(code) == []


@pytest.mark.skipif(not REFERENCE_NOTEBOOKS.is_dir(), reason="reference notebooks not present")
@pytest.mark.parametrize("name", ["lenet5-cifar10.ipynb", "lenet5-cifar10-dev.ipynb", "resnet-cifar10.ipynb"])
def test_reference_notebooks_are_clean(name: str) -> None:
    path = REFERENCE_NOTEBOOKS / name
    if not path.is_file():
        pytest.skip(f"{name} not written yet")
    loaded = load_notebook(path, name)
    assert loaded.nb is not None, loaded.findings
    kinds = {f.kind for f in scan_notebook(loaded.nb, name)}
    assert not kinds & {"pretrained-weights", "download", "shell-download", "absolute-path", "cell-syntax"}
    outputs = parse_stored_outputs(loaded.nb)
    assert outputs.error_cells == []
    assert outputs.execution_order_ok
    assert find_module_classes(loaded.nb)


def test_raw_json_cells_with_source_lists() -> None:
    raw = {"cells": [{"cell_type": "code", "source": ["import torch\n", "net = torch.hub.load('a', 'b')\n"]}]}
    assert [(f.kind, f.cell, f.line) for f in scan_notebook(raw, NAME)] == [("pretrained-weights", 0, 2)]
