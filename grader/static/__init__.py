"""Static checks that never run student code: loading, stored outputs, integrity scan, model classes."""

from grader.static.integrity import scan_notebook
from grader.static.model_source import find_module_classes
from grader.static.notebook import LoadedNotebook, load_notebook
from grader.static.outputs import StoredOutputs, parse_stored_outputs

__all__ = [
    "LoadedNotebook",
    "StoredOutputs",
    "find_module_classes",
    "load_notebook",
    "parse_stored_outputs",
    "scan_notebook",
]
