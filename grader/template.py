"""Derive the student template from the reference notebooks, so the two cannot drift apart.

The reference notebooks mark their solution code with ``# BEGIN SOLUTION`` / ``# END SOLUTION`` lines; the
template keeps everything else as written and turns each region into a placeholder that fails loudly when
run, so an unfinished notebook stops at the first gap instead of training on half a pipeline. Each term
(``TERMS``) has its own template folder: F20's notebooks are the reference's own, ECE661's are derived from
them (``grader.template_ece661``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

import tools
from grader.errors import TemplateError
from grader.template_ece661 import SAMPLE_CSV as ECE661_SAMPLE_CSV
from grader.template_ece661 import ece661_notebooks
from tools.predictions import header_line, predictions_text

__all__ = [
    "TERMS",
    "TemplateError",
    "build_template",
    "check_template",
    "check_template_dir",
    "render_template",
    "strip_solutions",
]

SOLUTION_BEGIN = "# BEGIN SOLUTION"
SOLUTION_END = "# END SOLUTION"
PLACEHOLDER = ("# your code", 'raise NotImplementedError("your code")')
TEST_IMAGES = 10_000  # the course's held-out test set; sample.csv has one row per image
SAMPLE_CSV = "sample.csv"
README = "README.md"
TOOLS_LINK = "tools"
_KEPT_METADATA = ("kernelspec", "language_info")


def strip_solutions(source: str, where: str = "cell") -> str:
    """Replace every solution region of a cell by the placeholder, at the region's own indentation."""
    out: list[str] = []
    indent: str | None = None
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        text = line.strip()
        body = line.rstrip("\r\n")
        if text == SOLUTION_BEGIN:
            if indent is not None:
                raise TemplateError(
                    f"{where}, line {number}: {SOLUTION_BEGIN} inside another solution region"
                )
            indent = body[: len(body) - len(body.lstrip())]
            ending = line[len(body) :] or "\n"
            out += [f"{indent}{PLACEHOLDER[0]}{ending}", f"{indent}{PLACEHOLDER[1]}{ending}"]
        elif text == SOLUTION_END:
            if indent is None:
                raise TemplateError(f"{where}, line {number}: {SOLUTION_END} without {SOLUTION_BEGIN}")
            if body[: len(body) - len(body.lstrip())] != indent:
                raise TemplateError(f"{where}, line {number}: {SOLUTION_END} is not indented like its BEGIN")
            indent = None
        elif indent is None:
            out.append(line)
        elif text and not body.startswith(indent):
            # A line less indented than the markers would leave the placeholder in the wrong block.
            raise TemplateError(f"{where}, line {number}: solution code is indented less than its markers")
    if indent is not None:
        raise TemplateError(f"{where}: {SOLUTION_BEGIN} without {SOLUTION_END}")
    if out and not source.endswith(("\n", "\r")):
        out[-1] = out[-1].rstrip("\r\n")
    return "".join(out)


def template_notebook(nb: NotebookNode, name: str) -> NotebookNode:
    """A copy of nb with solutions stripped, outputs and execution counts cleared, metadata cleaned."""
    template = nbformat.from_dict(nb)
    template.metadata = {key: nb.metadata[key] for key in _KEPT_METADATA if key in nb.metadata}
    if "language_info" in template.metadata:
        template.metadata["language_info"] = {"name": nb.metadata.language_info.get("name", "python")}
    for index, cell in enumerate(template.cells):
        cell.metadata = {}
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source, f"{name}, cell {index}")
            cell.outputs = []
            cell.execution_count = None
    try:
        nbformat.validate(template)
    except nbformat.ValidationError as exc:
        raise TemplateError(f"{name}: the template notebook is not valid nbformat ({exc.message})") from exc
    return template


def _title(nb: NotebookNode) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("#"):
            return cell.source.splitlines()[0].lstrip("# ").strip()
    return ""


def _readme(titles: dict[str, str], sample_csv: str, rubric: str) -> str:
    rows = "\n".join(f"| `{name}` | {title} |" for name, title in sorted(titles.items(), key=lambda i: i[1]))
    header = header_line()
    return f"""# CIFAR-10 CNN homework: starter notebooks

This folder is generated from the reference solution by the course's grader; do not edit it by hand.

| notebook | lab |
| --- | --- |
{rows}

## What to fill in
Every region marked `# your code` is followed by `raise NotImplementedError("your code")`: replace both
lines with your code. A notebook that stops with `NotImplementedError` still has a gap at that cell.

Keep the names the notebooks use (`transform_train`, `transform_val`, `trainloader`, `valloader`, `net`,
`device`, `criterion`, `optimizer`) and the lines they print during training: the grader reads them. Keep
hyperparameters such as `INITIAL_LR`, `REG`, `EPOCHS`, `DECAY_EPOCHS` and `DECAY` as plain top-level
assignments `NAME = value`: the grader sets some of them (for instance `EPOCHS = 1`) for its quick check.
Do not use absolute paths, downloads or pretrained models.

## Course data
Copy the two course zips, `cifar10_trainval_<TERM>.zip` and `cifar10_test_<TERM>.zip`, into a folder
`data/` next to the notebooks. The loaders in `tools/` (`tools.dataset`, `tools.dataloader_test`) unpack
them there on first use and never download anything. Do not edit or move `tools/`.

## Before you submit
- Run the pre-check: `make precheck` (or `python -m grader precheck . --rubric {rubric}`). It runs the TAs'
  quick checks on CPU with the course zips in `data/` (a few epochs on a small subset), lists what will fail
  with a fix for each and what is still to do, and exits non-zero when something fails. A run that stopped
  early leads, as "Fix this first: <notebook> cell N raised ...", with the failures that follow from it under
  it. Install the grader first into the environment you work in: `pip install git+<course grader repository
  URL>` keeps the torch you have (any 2.x). Without bubblewrap (macOS, Colab) the pre-check says so and runs
  your notebooks unsandboxed, as your own code on your own machine. On Windows run it in WSL or on Colab. On
  GitHub, `.github/workflows/precheck.yml` runs it on every push once the repository variables
  `GRADER_REPO_URL` and `COURSE_DATA_URL` are set.
- Run every notebook top to bottom with your final settings and save it with its outputs.
- Lab 3 writes `predictions.csv` in the format of `{sample_csv}`: the header `{header}`, then one row per
  test image, ids 0 to {TEST_IMAGES - 1} in order, integer labels 0 to 9.
- Submit the PDF report, `code.zip` holding the notebooks above under exactly these names, and
  `predictions.csv`.

## The pre-check on Colab
One cell each, in a new Colab notebook (the pre-check runs on the CPU; Colab's torch stays as it is):

1. Install the grader: `!pip install -q "git+<course grader repository URL>"`
2. Open your homework folder, with the notebooks saved in it:
   `from google.colab import drive; drive.mount("/content/drive")`, then
   `%cd /content/drive/MyDrive/<your homework folder>`
3. Upload the two course zips into `data/`:
   ```python
   import os
   from google.colab import files

   os.makedirs("data", exist_ok=True)
   for name, content in files.upload().items():
       open(os.path.join("data", name), "wb").write(content)
   ```
4. Run it: `!python -m grader precheck . --rubric {rubric}`
5. Read the result: the first line says there is no sandbox on Colab (expected: your notebooks run
   unsandboxed); then what will fail, causes first ("Fix this first: ..."), each with a fix; then what is
   still to do before you submit. The last line is `OK: ...` or `FAILED: ...`.
"""


def f20_notebooks(reference_dir: Path) -> dict[str, NotebookNode]:
    """Every reference notebook as its template, by file name."""
    notebooks = sorted(Path(reference_dir).glob("*.ipynb"))
    if not notebooks:
        raise TemplateError(f"no reference notebooks (*.ipynb) in {reference_dir}")
    return {path.name: template_notebook(nbformat.read(path, as_version=4), path.name) for path in notebooks}


@dataclass(frozen=True)
class Term:
    """One term's template: its folder in the repository, its sample CSV and how its notebooks are made."""

    folder: str
    sample_csv: str
    notebooks: Callable[[Path], dict[str, NotebookNode]]
    rubric: str  # the shipped rubric its pre-check runs


TERMS = {
    "f20": Term("student_template", SAMPLE_CSV, f20_notebooks, "ece590-hw2-f20"),
    "ece661": Term(
        "student_template/ece661",
        ECE661_SAMPLE_CSV,
        lambda reference: ece661_notebooks(f20_notebooks(reference)),
        "ece661-hw2",
    ),
}


def check_template_dir(template: Path, source: str = "--template") -> None:
    """A template must be a folder of notebooks: one that is not would count nothing as boilerplate, and
    every untouched handout would look copied. Checked where it is used (a pip-installed pre-check has no
    templates and needs none); SOURCE names where the folder came from."""
    template = Path(template)
    if not template.is_dir():
        raise TemplateError(f"{source} {template}: not a folder (expected the term's student template)")
    if not any(template.glob("*.ipynb")):
        raise TemplateError(f"{source} {template}: holds no notebooks (*.ipynb) to count as boilerplate")


def render_template(reference_dir: Path, term: str = "f20") -> dict[str, bytes]:
    """The template's regular files by name, derived in memory so build and check share one definition."""
    spec = TERMS[term]
    notebooks = spec.notebooks(Path(reference_dir))
    files = {name: (nbformat.writes(nb) + "\n").encode() for name, nb in notebooks.items()}
    # every label 0: no one mistakes it for predictions, and the grader recognises it as the sample
    files[spec.sample_csv] = predictions_text([0] * TEST_IMAGES).encode()
    files[README] = _readme(
        {name: _title(nb) for name, nb in notebooks.items()}, spec.sample_csv, spec.rubric
    ).encode()
    return files


def _tools_target(out_dir: Path) -> str:
    """Relative, so the repository can move; for the repo's student_template/ it is ``../tools``."""
    return os.path.relpath(Path(tools.__file__).resolve().parent, Path(out_dir).resolve())


def _stale_notebooks(out_dir: Path, files: dict[str, bytes]) -> list[Path]:
    return [path for path in sorted(Path(out_dir).glob("*.ipynb")) if path.name not in files]


def build_template(reference_dir: Path, out_dir: Path, term: str = "f20") -> list[Path]:
    """Write the template into out_dir and return its paths, the ``tools`` link included."""
    out_dir = Path(out_dir)
    files = render_template(reference_dir, term)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in files.items():
        path = out_dir / name
        if not path.is_file() or path.read_bytes() != data:
            tmp = path.with_name(f".{name}.tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        written.append(path)
    for stale in _stale_notebooks(out_dir, files):
        stale.unlink()
    link, target = out_dir / TOOLS_LINK, _tools_target(out_dir)
    if link.exists() and not link.is_symlink():
        raise TemplateError(f"{link} is a real folder; remove it: the template links to the course's tools/")
    if not link.is_symlink() or os.readlink(link) != target:
        link.unlink(missing_ok=True)
        link.symlink_to(target, target_is_directory=True)
    written.append(link)
    return written


def check_template(reference_dir: Path, out_dir: Path, term: str = "f20") -> list[str]:
    """Differences between out_dir and the template derived from reference_dir; empty when in sync."""
    out_dir = Path(out_dir)
    files = render_template(reference_dir, term)
    problems = []
    for name, data in files.items():
        path = out_dir / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif path.read_bytes() != data:
            problems.append(f"{name}: differs from the template derived from {reference_dir}")
    problems += [
        f"{path.name}: no reference notebook of that name" for path in _stale_notebooks(out_dir, files)
    ]
    link, target = out_dir / TOOLS_LINK, _tools_target(out_dir)
    if not link.is_symlink():
        problems.append(f"{TOOLS_LINK}: expected a symlink to {target}")
    elif os.readlink(link) != target:
        problems.append(f"{TOOLS_LINK}: links to {os.readlink(link)}, expected {target}")
    return problems
