"""Pairs of students whose notebooks share unusually much code, for a TA to look at (never a verdict).

The comparison is copydetect's: winnowed fingerprints of k-grams of normalised code, so renaming variables,
rewording strings or reflowing comments and blank lines does not hide a copy. Each expected notebook is
compared only with the same notebook of other students. Code that the template or the reference solution
also contains is boilerplate and does not count, so starter code shared by everyone scores nothing. The
template is the term's: ``--template DIR``, else the rubric's ``template`` folder, else F20's. The
code cells of each notebook are written to ``OUT/.similarity/<id>/<notebook>.py`` for the TA to read.

The normalisation follows copydetect's (names become ``V``, function and dunder names ``F``, class names
``O``, strings ``S``; keywords, builtins, ``self``, imported module names, numbers and operators stay;
comments and whitespace go) but uses the standard library's tokenizer, about five times faster than the
Pygments lexer copydetect uses; code that does not tokenize falls back to copydetect's own filter. Normalised
code is cached by content under ``OUT/.similarity/.normalised/``, so a re-run costs little.

A pair's score is the larger of the two fractions of a notebook's (non-boilerplate) code found in the other:
a student who copied a classmate's notebook and added to it still shows up.
"""

from __future__ import annotations

import builtins
import hashlib
import io
import json
import keyword
import shutil
import tokenize
from dataclasses import asdict, dataclass
from itertools import chain, combinations
from pathlib import Path

import numpy as np
from copydetect import CodeFingerprint
from copydetect.defaults import GUARANTEE_THRESHOLD, NOISE_THRESHOLD
from copydetect.utils import filter_code

from grader.errors import GraderError
from grader.intake import ExpectedFile, locate_files
from grader.paths import REFERENCE_NOTEBOOKS
from grader.records import RESULT_FILE, SUBMISSION_DIR, read_result, write_json_atomically
from grader.rubric import load_rubric, resolve_rubric
from grader.rubric.model import Rubric
from grader.static import load_notebook
from grader.static.ipython import cell_source, to_python
from grader.template import check_template_dir, render_template

SIMILARITY_FILE = "similarity.json"
SIMILARITY_DIR = ".similarity"
CACHE_DIR = ".normalised"
TEMPLATE_DIR = "template"  # the student template, as boilerplate
NORMALISER_VERSION = "1"  # part of the cache key: bump it when `normalise` changes
# A few shared lines are no evidence: the same one-line edit of the template by two students shares about
# 2k tokens around it, all of their non-boilerplate code, which would score 100%. Both notebooks of a pair
# must share at least this many tokens, so a notebook with less code of its own is not compared at all.
MIN_OVERLAP_TOKENS = 4 * NOISE_THRESHOLD
_WINDOW = GUARANTEE_THRESHOLD - NOISE_THRESHOLD + 1
_LITERAL_NAMES = frozenset(dir(builtins)) | {"self", "cls"}
_DROPPED = frozenset(
    {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
)


@dataclass(frozen=True)
class SimilarPair:
    a: str
    b: str
    notebook: str
    score: float
    tokens: int  # overlapping tokens of normalised code (the smaller count of the two notebooks)


def notebook_code(path: Path) -> str | None:
    """The code cells of a notebook as one Python text (IPython magics blanked), or None if unreadable."""
    loaded = load_notebook(path, path.name)
    if loaded.nb is None:
        return None
    cells = [
        to_python(cell_source(cell)).python for cell in loaded.nb.cells if cell.get("cell_type") == "code"
    ]
    return "\n\n".join(cells) + "\n"


def normalise(code: str) -> str:
    """CODE as copydetect compares it (see the module docstring)."""
    out: list[str] = []
    line_start, statement, previous = True, "", ""
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            kind, text = token.type, token.string
            if kind in _DROPPED:
                line_start = kind != tokenize.COMMENT or line_start
                statement = "" if kind == tokenize.NEWLINE else statement
                continue
            if line_start and text in ("import", "from"):
                statement = text
            if statement == "from" and text == "import":
                statement = "from-import"
            if kind == tokenize.STRING:
                out.append('"S"')
            elif kind != tokenize.NAME or keyword.iskeyword(text) or text in _LITERAL_NAMES:
                out.append(text.strip())
            elif statement in ("import", "from"):  # module names, as the lexer keeps them
                out.append(text)
            else:
                function = previous == "def" or (text.startswith("__") and text.endswith("__"))
                out.append("F" if function else "O" if previous == "class" else "V")
            line_start, previous = False, text
    except (tokenize.TokenError, SyntaxError):
        return filter_code(code, "notebook.py", "python")[0]
    return "".join(out)


def find_similar(
    out_dir: Path,
    *,
    rubric: str | Path | None = None,
    threshold: float = 0.6,
    boilerplate: tuple[Path, ...] | list[Path] | None = None,
    template: Path | None = None,
) -> list[SimilarPair]:
    """Compare the graded submissions in OUT_DIR and write the pairs scoring at least THRESHOLD to
    ``OUT_DIR/similarity.json``, highest first.

    RUBRIC names the expected notebooks (default: the rubric named in the results); without one, notebooks
    are paired by file name. BOILERPLATE: notebooks, or folders of notebooks, whose code does not count
    (default: the student template and the reference notebooks). TEMPLATE: the term's student template, a
    folder of notebooks (default: the rubric's ``template``, else the F20 template).
    """
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise GraderError(f"{out_dir} is not a folder of graded submissions")
    if not 0.0 < threshold <= 1.0:
        raise GraderError(f"the similarity threshold must be in (0, 1], not {threshold}")
    if template is not None:
        check_template_dir(template)
    submissions = _graded(out_dir)
    spec = _rubric(rubric, submissions)
    expected = None if spec is None else [notebook.filename for notebook in spec.notebooks]
    if template is None and spec is not None and spec.template_dir is not None:
        template = spec.template_dir
        check_template_dir(template, f"the rubric's template ({spec.template!r}):")
    code_dir = out_dir / SIMILARITY_DIR
    cache = code_dir / CACHE_DIR
    if boilerplate is None:
        boilerplate = _default_boilerplate(code_dir) if template is None else (template, REFERENCE_NOTEBOOKS)
    skip = _boilerplate_hashes(boilerplate)
    prints: dict[str, dict[str, _Print]] = {}
    written: set[Path] = set()
    for sub_id, root in submissions.items():
        for filename, path in _notebooks(root, expected).items():
            code = notebook_code(path)
            if code is None:
                continue
            target = code_dir / sub_id / f"{Path(filename).stem}.py"
            _write_if_changed(target, code)
            written.add(target)
            fingerprint = _fingerprint(_normalised(code, cache), str(target), skip)
            if fingerprint is not None and fingerprint.token_coverage >= MIN_OVERLAP_TOKENS:
                prints.setdefault(filename, {})[sub_id] = _Print.of(fingerprint)
    _remove_stale(code_dir, written)
    pairs = []
    for filename, by_id in sorted(prints.items()):
        for (a, fa), (b, fb) in combinations(sorted(by_id.items()), 2):
            (tokens_a, tokens_b), (share_a, share_b) = _compare(fa, fb)
            score = max(share_a, share_b)
            if score >= threshold and min(tokens_a, tokens_b) >= MIN_OVERLAP_TOKENS:
                pairs.append(SimilarPair(a, b, filename, round(score, 4), min(tokens_a, tokens_b)))
    pairs.sort(key=lambda p: (-p.score, p.notebook, p.a, p.b))
    write_json_atomically(out_dir / SIMILARITY_FILE, json.dumps([asdict(p) for p in pairs], indent=2) + "\n")
    return pairs


def _write_if_changed(path: Path, text: str) -> None:
    """Rewriting hundreds of unchanged files cost more than the comparison on a slow disk."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except OSError:
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _remove_stale(code_dir: Path, written: set[Path]) -> None:
    """Code of submissions or notebooks no longer graded (the cache of normalised code stays)."""
    if not code_dir.is_dir():
        return
    for folder in code_dir.iterdir():
        if folder.name == CACHE_DIR:
            continue
        if not folder.is_dir():
            folder.unlink()
            continue
        for path in folder.iterdir():
            if path not in written:
                shutil.rmtree(path) if path.is_dir() else path.unlink()
        if not any(folder.iterdir()):
            folder.rmdir()


def _graded(out_dir: Path) -> dict[str, Path]:
    """Submission id -> its unpacked copy, for every result folder that still holds one."""
    found = {}
    for folder in sorted(out_dir.iterdir()):
        root = folder / SUBMISSION_DIR
        if not folder.name.startswith(".") and (folder / RESULT_FILE).is_file() and root.is_dir():
            found[folder.name] = root
    return found


def _rubric(rubric: str | Path | None, submissions: dict[str, Path]) -> Rubric | None:
    """The rubric given (its errors are the user's to see), else the one the results name, if it loads."""
    if rubric is not None:
        return load_rubric(resolve_rubric(rubric))
    for sub_id in submissions:
        try:
            named = read_result(submissions[sub_id].parents[1] / RESULT_FILE).rubric
            return load_rubric(resolve_rubric(named))
        except (OSError, ValueError, GraderError):
            continue
    return None


def _notebooks(root: Path, expected: list[str] | None) -> dict[str, Path]:
    """Expected file name -> the notebook the grader would take for it (tolerant, as in grading)."""
    if expected is None:
        return {
            path.name: path
            for path in sorted(root.rglob("*.ipynb"))
            if ".ipynb_checkpoints" not in path.parts and path.is_file()
        }
    located = locate_files(root, [ExpectedFile(name, name) for name in expected], None, course_tools=None)
    return {name: path for name, path in located.paths.items() if path is not None}


def _normalised(code: str, cache: Path) -> str:
    key = hashlib.sha256(f"{NORMALISER_VERSION}\0{code}".encode()).hexdigest()
    path = cache / f"{key}.txt"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        text = normalise(code)
    cache.mkdir(parents=True, exist_ok=True)
    write_json_atomically(path, text)
    return text


def _fingerprint(
    normalised: str, name: str, skip: np.ndarray, window: int = _WINDOW
) -> CodeFingerprint | None:
    try:
        fingerprint = CodeFingerprint(
            name, NOISE_THRESHOLD, window, skip, filter=False, fp=io.StringIO(normalised)
        )
    except (ValueError, IndexError):  # code shorter than one k-gram
        return None
    return fingerprint if fingerprint.hashes else None


@dataclass(frozen=True)
class _Print:
    """A notebook's fingerprint in plain Python ints: copydetect keeps numpy scalars, whose arithmetic
    and hashing made the pairwise comparison of a class several times slower."""

    positions: dict[int, list[int]]  # hash -> where its k-grams start in the normalised code
    coverage: float  # copydetect's token coverage: the tokens the fingerprint accounts for
    k: int

    @classmethod
    def of(cls, fingerprint: CodeFingerprint) -> _Print:
        positions = {int(h): [int(i) for i in idx] for h, idx in fingerprint.hash_idx.items()}
        return cls(positions, float(fingerprint.token_coverage), fingerprint.k)


def _compare(fa: _Print, fb: _Print) -> tuple[tuple[int, int], tuple[float, float]]:
    """What copydetect's ``compare_files`` computes, less the copied slices mapped back to the raw code that
    only its HTML report needs: each notebook's overlapping tokens and the share of its code they are."""
    shared = fa.positions.keys() & fb.positions.keys()
    if not shared:
        return (0, 0), (0.0, 0.0)
    tokens_a, tokens_b = _covered(fa, shared), _covered(fb, shared)
    return (tokens_a, tokens_b), (tokens_a / fa.coverage, tokens_b / fb.coverage)


def _covered(fingerprint: _Print, shared: set[int]) -> int:
    """Tokens covered by the k-grams at the positions of the shared hashes (the union of their spans)."""
    covered, end, k = 0, -1, fingerprint.k
    for position in sorted(chain.from_iterable(fingerprint.positions[h] for h in shared)):
        if position + k > end:
            covered += position + k - max(position, end)
            end = position + k
    return covered


def _default_boilerplate(code_dir: Path) -> tuple[Path, ...]:
    """The template derived from the shipped reference notebooks (what every student starts from), and the
    reference notebooks themselves."""
    template_dir = code_dir / CACHE_DIR / TEMPLATE_DIR  # inside the cache, which stale-code removal keeps
    template_dir.mkdir(parents=True, exist_ok=True)
    for name, data in render_template(REFERENCE_NOTEBOOKS).items():
        if name.endswith(".ipynb"):
            (template_dir / name).write_bytes(data)
    return template_dir, REFERENCE_NOTEBOOKS


def _boilerplate_hashes(sources: tuple[Path, ...] | list[Path]) -> np.ndarray:
    """Every k-gram of the given notebooks' code (window 1, as copydetect does for boilerplate)."""
    hashes: set[int] = set()
    for source in sources:
        paths = sorted(Path(source).glob("*.ipynb")) if Path(source).is_dir() else [Path(source)]
        for path in paths:
            code = notebook_code(path) if path.is_file() else None
            fingerprint = _fingerprint(normalise(code), path.name, np.array([]), window=1) if code else None
            if fingerprint is not None:
                hashes.update(fingerprint.hashes)
    return np.array(sorted(hashes), dtype=np.int64)
