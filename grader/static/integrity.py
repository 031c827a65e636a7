"""Find banned or fragile things a notebook's code does: pretrained weights, downloads, machine-local paths.

A ban looks at what the code calls, never at what it imports: ``from torchvision import models`` left over
from the template is fine, ``models.resnet18(weights="IMAGENET1K_V1")`` is not. Each code cell is parsed with
``ast`` after its IPython syntax is set aside (shell lines are scanned on their own); a cell that still does
not parse is reported as info and scanned with text patterns instead, so a syntax error never hides a ban.

Findings carry the notebook name, the cell index (0-based position in ``nb.cells``, markdown cells included)
and the line within the cell (1-based).
"""

from __future__ import annotations

import ast
import re
from typing import Any

from grader.records import Finding, Severity
from grader.static.ipython import CellSource, cell_source, parse_cell
from grader.static.names import dotted_name, import_aliases, resolve

PRETRAINED = "pretrained-weights"
DOWNLOAD = "download"
SHELL_DOWNLOAD = "shell-download"
ABSOLUTE_PATH = "absolute-path"
TORCH_LOAD = "torch-load-map-location"
CELL_SYNTAX = "cell-syntax"
DYNAMIC_CODE = "dynamic-code"

SHELL_DOWNLOAD_COMMAND = re.compile(
    r"\b(?:wget|curl|gdown|aria2c)\b|\bpip3?\s+(?:install|download)\b|\b(?:conda|mamba)\s+install\b"
    r"|\bgit\s+clone\b|\bkaggle\s+\w+\s+download\b",
    re.IGNORECASE,
)
# Paths that exist only on the student's machine: Windows drives, Colab, macOS and Linux homes, clusters.
ABSOLUTE_PATH_PREFIX = re.compile(
    r"^(?:[A-Za-z]:[\\/]|/content(?:/|$)|/Users/|/home/[^/\s]+|/gpfs(?:/|$)|/scratch(?:/|$)|/mnt/[a-z]/)"
)
_SHELL_PATH = re.compile(r"(?:^|[\s'\"=])((?:[A-Za-z]:[\\/]|/content/|/Users/|/home/|/gpfs/|/scratch/)\S*)")
_WEIGHTS_STRING = re.compile(r"imagenet|default|_v\d", re.IGNORECASE)
_MODEL_LIBRARIES = ("torchvision.models.", "timm.", "torch.hub.")
_HTTP_CLIENTS = frozenset({"requests", "httpx", "urllib3"})
_HTTP_VERBS = frozenset({"get", "post", "put", "head", "patch", "delete", "request", "stream"})
_SHELL_RUNNERS = frozenset(
    {
        "os.system",
        "os.popen",
        "subprocess.run",
        "subprocess.call",
        "subprocess.Popen",
        "subprocess.check_call",
        "subprocess.check_output",
        "get_ipython().system",
    }
)
_FALLBACK_PATTERNS: list[tuple[str, Severity, str, re.Pattern[str]]] = [
    (
        PRETRAINED,
        "error",
        "loads pretrained weights",
        re.compile(
            r"pretrained\s*=\s*True|\.from_pretrained\s*\(|\bhub\.load\s*\(|load_state_dict_from_url"
            r"|model_zoo\.load_url|weights\s*=\s*(?:[\w.]*_Weights\b|['\"](?:IMAGENET|DEFAULT))"
        ),
    ),
    (
        DOWNLOAD,
        "warning",
        "downloads from the internet",
        re.compile(
            r"\b(?:urlopen|urlretrieve|wget\.download|gdown\.download|requests\.(?:get|post)|socket\.socket)\s*\("
        ),
    ),
    (
        TORCH_LOAD,
        "info",
        "torch.load without map_location",
        re.compile(r"\btorch\.load\s*\((?![^)]*map_location)"),
    ),
]


def scan_notebook(nb: Any, name: str) -> list[Finding]:
    """All integrity findings for NB (an nbformat 4 notebook), ordered by cell and line."""
    parsed = [
        (index, *parse_cell(cell_source(cell)))
        for index, cell in enumerate(nb.get("cells", []))
        if cell.get("cell_type") == "code"
    ]
    aliases = import_aliases(tree for _, tree, _, _ in parsed if tree is not None)
    findings: dict[tuple[str, int, int], Finding] = {}
    for index, tree, cleaned, error in parsed:
        report = _Reporter(name, index, cleaned.python, findings)
        _scan_shell(cleaned, report)
        if tree is not None:
            _CallScanner(aliases, report).scan(tree)
            continue
        line = getattr(error, "lineno", None)
        report.add(
            CELL_SYNTAX,
            "info",
            f"does not parse as Python ({getattr(error, 'msg', error)}); scanned as text",
            line,
        )
        _scan_text(cleaned.python, report)
    return sorted(findings.values(), key=lambda f: (f.cell or 0, f.line or 0, f.kind))


class _Reporter:
    """Adds findings for one cell, once per kind and line, quoting the line so the detail stands alone."""

    def __init__(
        self, notebook: str, cell: int, source: str, sink: dict[tuple[str, int, int], Finding]
    ) -> None:
        self.notebook, self.cell, self.sink = notebook, cell, sink
        self.lines = source.split("\n")

    def add(
        self, kind: str, severity: Severity, what: str, line: int | None, quote: str | None = None
    ) -> None:
        key = (kind, self.cell, line or 0)
        if key in self.sink:
            return
        if quote is None and line and 0 < line <= len(self.lines):
            quote = self.lines[line - 1].strip()
        shown = f": {quote[:120]}" if quote else ""
        self.sink[key] = Finding(
            kind=kind,
            severity=severity,
            detail=f"{self.notebook} cell {self.cell} line {line}: {what}{shown}",
            notebook=self.notebook,
            cell=self.cell,
            line=line,
        )


def _scan_shell(cleaned: CellSource, report: _Reporter) -> None:
    for line, text in cleaned.shell:
        if SHELL_DOWNLOAD_COMMAND.search(text):
            report.add(SHELL_DOWNLOAD, "warning", "shell command downloads or installs", line, text.strip())
        path = _SHELL_PATH.search(text)
        if path:
            report.add(ABSOLUTE_PATH, "warning", f"machine-local path {path.group(1)!r}", line, text.strip())


def _scan_text(source: str, report: _Reporter) -> None:
    for number, line in enumerate(source.split("\n"), start=1):
        code = _strip_comment(line)
        for kind, severity, what, pattern in _FALLBACK_PATTERNS:
            if pattern.search(code):
                report.add(kind, severity, what, number)
        for literal in re.findall(r"""(?:'([^']*)'|"([^"]*)")""", code):
            text = literal[0] or literal[1]
            if ABSOLUTE_PATH_PREFIX.match(text):
                report.add(ABSOLUTE_PATH, "warning", f"machine-local path {text!r}", number)


def _strip_comment(line: str) -> str:
    """LINE without its ``#`` comment (a ``#`` inside quotes is kept)."""
    quote = None
    for position, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#":
            return line[:position]
    return line


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _is_false(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and not node.value


def _source(node: ast.AST) -> str:
    try:
        return ast.unparse(node)[:80]
    except Exception:  # unparse of a damaged tree is only a detail
        return "..."


class _CallScanner:
    """Walks one cell's tree and reports calls by what they do."""

    def __init__(self, aliases: dict[str, str], report: _Reporter) -> None:
        self.aliases, self.report = aliases, report

    def scan(self, tree: ast.AST) -> None:
        skipped_strings = self._docstrings_and_fstring_tails(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                self._call(node)
            elif isinstance(node, ast.Dict):
                self._dict(node)
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in skipped_strings
                and ABSOLUTE_PATH_PREFIX.match(node.value)
            ):
                self.report.add(
                    ABSOLUTE_PATH, "warning", f"machine-local path {node.value[:80]!r}", node.lineno
                )

    @staticmethod
    def _docstrings_and_fstring_tails(tree: ast.AST) -> set[int]:
        """Strings that are not paths: docstrings, and f-string pieces after a placeholder."""
        skipped = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                skipped.add(id(node.value))
            elif isinstance(node, ast.JoinedStr):
                skipped.update(id(part) for part in node.values[1:])
        return skipped

    def _dict(self, node: ast.Dict) -> None:
        for key, value in zip(node.keys, node.values, strict=False):
            if isinstance(key, ast.Constant) and key.value == "pretrained" and not _is_false(value):
                self.report.add(PRETRAINED, "error", "passes pretrained=True through a dict", node.lineno)

    def _call(self, node: ast.Call) -> None:
        written = dotted_name(node.func)
        full = resolve(written, self.aliases) or ""
        parts = full.split(".")
        last = parts[-1]
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        shown = written or "a call"
        line = node.lineno
        add = self.report.add

        pretrained = keywords.get("pretrained")
        if pretrained is not None and not _is_false(pretrained):
            constant = isinstance(pretrained, ast.Constant)
            add(
                PRETRAINED,
                "error" if constant else "warning",
                f"{shown}(pretrained={_source(pretrained)}) loads pretrained weights"
                + ("" if constant else " when the expression is true"),
                line,
            )
        if full.startswith("torchvision.models.") and last[:1].islower() and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and first.value is True:
                add(PRETRAINED, "error", f"{shown}(True) asks for pretrained weights positionally", line)
        weights = keywords.get("weights")
        if weights is not None and not _is_none(weights):
            self._weights(shown, full, weights, line)
        if (
            last == "load_state_dict_from_url"
            or parts[-2:] in (["hub", "load"], ["model_zoo", "load_url"])
            or (last == "from_pretrained" and isinstance(node.func, ast.Attribute))
        ):
            add(PRETRAINED, "error", f"{shown}() fetches pretrained weights", line)
        if last == "get_state_dict" and "_Weights" in full:
            add(PRETRAINED, "error", f"{shown}() fetches pretrained weights", line)

        root = parts[0]
        if (
            last in ("urlopen", "urlretrieve", "download_url_to_file", "download_url")
            or (root in _HTTP_CLIENTS and last in _HTTP_VERBS)
            or full in ("wget.download", "gdown.download", "gdown.download_folder", "gdown.cached_download")
        ):
            add(DOWNLOAD, "warning", f"{shown}() downloads from the internet", line)
        elif root == "socket" and last in ("socket", "create_connection"):
            add(DOWNLOAD, "warning", f"{shown}() opens a network connection", line)
        download = keywords.get("download")
        if full.startswith("torchvision.datasets.") and download is not None and not _is_false(download):
            add(
                DOWNLOAD,
                "warning",
                f"{shown}(download=...) fetches the original dataset instead of the course's split",
                line,
            )
        if full in _SHELL_RUNNERS and any(
            isinstance(n, ast.Constant)
            and isinstance(n.value, str)
            and SHELL_DOWNLOAD_COMMAND.search(n.value)
            for arg in node.args
            for n in ast.walk(arg)
        ):
            add(SHELL_DOWNLOAD, "warning", f"{shown}() runs a shell command that downloads or installs", line)

        if full == "torch.load" and "map_location" not in keywords and all(k.arg for k in node.keywords):
            add(
                TORCH_LOAD,
                "info",
                "torch.load without map_location fails on a machine without the GPU it was saved from",
                line,
            )
        if isinstance(node.func, ast.Name) and node.func.id in ("exec", "eval", "__import__"):
            add(DYNAMIC_CODE, "info", f"{node.func.id}() runs code the scan cannot see", line)
        elif full == "importlib.import_module":
            add(DYNAMIC_CODE, "info", "importlib.import_module() imports a module the scan cannot see", line)

    def _weights(self, shown: str, full: str, weights: ast.AST, line: int) -> None:
        """``weights=`` on a model constructor, or with a value that is plainly a pretrained-weights enum."""
        text = _source(weights)
        if isinstance(weights, ast.Constant):
            enum_like = isinstance(weights.value, str) and bool(_WEIGHTS_STRING.search(weights.value))
        elif isinstance(weights, ast.Call):
            enum_like = (resolve(dotted_name(weights.func), self.aliases) or "").endswith("get_weight")
        else:
            enum_like = "_Weights" in (dotted_name(weights) or "")
        on_model = full.startswith(_MODEL_LIBRARIES)
        if enum_like or (on_model and isinstance(weights, ast.Constant)):
            self.report.add(PRETRAINED, "error", f"{shown}(weights={text}) loads pretrained weights", line)
        elif on_model:
            self.report.add(
                PRETRAINED,
                "warning",
                f"{shown}(weights={text}) loads pretrained weights unless it is None",
                line,
            )
