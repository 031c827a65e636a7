"""Find the handout's files in an unpacked submission, forgiving realistic naming slips but reporting them.

Students rename files by accident: the OS adds `` (1)``, Colab adds ``Copy of``, Canvas prefixes the student's
name and suffixes ``-1`` on a resubmission, and people type underscores or capitals. Those are accepted so
that the code still gets graded, with a warning and ``format_ok`` False so the rubric's format deduction can
apply. A name that differs only in case or separators (``resnet_cifar10.ipynb``) is the same name typed
differently: it is noted, never penalised. Matching is done in tiers, best first, and each file is used once,
so ``lenet5-cifar10-dev.ipynb`` is never taken for ``lenet5-cifar10.ipynb``.
"""

from __future__ import annotations

import difflib
import fnmatch
import hashlib
import json
import re
import shutil
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from grader.intake.fingerprint import submission_id
from grader.intake.unpack import DEFAULT_LIMITS, IntakeLimits, IntakeRejected, is_junk, unpack_submission
from grader.paths import COURSE_TOOLS
from grader.records import Finding
from tools.layout import TEST_ZIP_GLOB, TRAINVAL_ZIP_GLOB

REPORT_KEY = "report"
NESTED_DIR = "__nested_zips__"
_EXACT_MAX_DEPTH = 2
_TIER_EXACT, _TIER_CASE, _TIER_DECORATED, _TIER_PREFIXED = range(4)
# A leftover file whose dashed stem is at least this similar to the expected one is offered as the match:
# "simplenn-cifar10-enhanced" for "simplenn-cifar10-dev" (0.80), "resnet20-cifar10" for "resnet-cifar10"
# (0.93), but not another homework's "simplenn-2" (0.60) or "simplenn" (0.57).
_OFFER_MIN_SIMILARITY = 0.7
# Files the course hands out with the assignment: never a student's own predictions or notebook.
_COURSE_SAMPLE = re.compile(r"^sample(?:-|$)")
# The course modules of tools/, which students sometimes copy beside their notebooks instead.
_COURSE_TOOLS_MODULES = frozenset({"dataset.py", "utils.py", "dataloader.py", "dataloader_test.py"})

_SEPARATORS = re.compile(r"[\s_.\-]+")
# Decorations that tools and people add to a file name; stripped one at a time, in any order.
_DECORATIONS = (
    re.compile(r"^copy-of-"),  # Google Drive / Colab "Copy of x"
    re.compile(r"-?\((?:\d+|copy)\)$"),  # browser and OS duplicates "x (1)"
    re.compile(r"-(?:copy|final|new|latest|submission|submit|v\d+|\d+)$"),  # "x_final", "x-v2", Canvas "x-1"
    re.compile(r"(?<=[a-z])\d{1,2}$"),  # "lenet5-cifar10-dev1"
)


@dataclass(frozen=True)
class ExpectedFile:
    """A file the handout asks for: KEY names it in the grader, FILENAME is the name students must use."""

    key: str
    filename: str


@dataclass
class Located:
    """Where each expected file was found (None: missing), what was odd, and whether the layout was exact."""

    paths: dict[str, Path | None]
    findings: list[Finding] = field(default_factory=list)
    format_ok: bool = True


@dataclass(frozen=True)
class _Candidate:
    path: Path
    label: str  # as shown to people: "hw2/lenet5-cifar10.ipynb" or "code.zip:lenet5-cifar10.ipynb"
    depth: int  # folders between the file and the top of its tree (the submission or a nested zip)
    from_nested_zip: bool


def locate_files(
    root: Path,
    expected: list[ExpectedFile],
    report_pattern: str | None = "*.pdf",
    *,
    limits: IntakeLimits = DEFAULT_LIMITS,
    course_tools: Path | None = COURSE_TOOLS,
) -> Located:
    """Match EXPECTED against the files under ROOT (an unpacked submission) and any zip in it, e.g. code.zip.

    The report, when REPORT_PATTERN is given, is returned under the key ``"report"``. Nested zips are
    unpacked with LIMITS into ``ROOT/__nested_zips__`` (remade on every call). A copy of the course
    ``tools/`` package is reported and compared with the course's own.
    """
    keys = [item.key for item in expected]
    if len(set(keys)) != len(keys) or (report_pattern is not None and REPORT_KEY in keys):
        raise ValueError(f"expected-file keys must be unique and not {REPORT_KEY!r} when a report is sought")
    findings: list[Finding] = []
    candidates = _collect(root, limits, findings)
    taken: set[int] = set()
    located = Located(paths={})
    _match_expected(expected, candidates, taken, located)
    if report_pattern is not None:
        _match_report(report_pattern, candidates, taken, located)
    located.findings = findings + located.findings
    located.findings += _course_tools_findings(candidates, course_tools) + _loose_tools_findings(candidates)
    return located


def _collect(root: Path, limits: IntakeLimits, findings: list[Finding]) -> list[_Candidate]:
    """Every file in the submission and in its zips (one level of nesting), shallowest first."""
    outer = _walk(root, "", from_nested_zip=False, skip_top=NESTED_DIR)
    nested_root = root / NESTED_DIR
    if nested_root.exists():
        shutil.rmtree(nested_root)
    course_data = (TRAINVAL_ZIP_GLOB, TEST_ZIP_GLOB)
    inner: list[_Candidate] = []
    for index, zipped in enumerate(c for c in outer if c.path.suffix.lower() == ".zip" and c.depth <= 2):
        if any(fnmatch.fnmatch(zipped.path.name, pattern) for pattern in course_data):
            continue
        target = nested_root / f"{index}-{submission_id(zipped.path)}"
        try:
            unpack_submission(zipped.path, target, limits, notes=findings)
        except IntakeRejected as exc:
            findings.append(
                Finding(kind="nested-zip", severity="error", detail=f"{zipped.label} was not searched: {exc}")
            )
            continue
        inner += _walk(target, zipped.label + ":", from_nested_zip=True, skip_top=None)
    return sorted(outer + inner, key=lambda c: (c.depth, c.label))


def _walk(base: Path, prefix: str, *, from_nested_zip: bool, skip_top: str | None) -> list[_Candidate]:
    found = []
    for path in base.rglob("*"):
        rel = path.relative_to(base)
        if rel.parts[0] == skip_top or is_junk(rel.parts) or path.is_symlink() or not path.is_file():
            continue
        found.append(_Candidate(path, prefix + rel.as_posix(), len(rel.parts) - 1, from_nested_zip))
    return sorted(found, key=lambda c: c.label)


def _dashed(stem: str) -> str:
    """Case-folded, with every run of spaces, dots, dashes and underscores turned into one dash."""
    return _SEPARATORS.sub("-", unicodedata.normalize("NFKC", stem).casefold()).strip("-")


def _reductions(dashed: str) -> set[str]:
    """The name and every variant with decorations (`` (1)``, ``_final``, ``Copy of``...) stripped."""
    forms, pending = {dashed}, [dashed]
    while pending:
        form = pending.pop()
        for pattern in _DECORATIONS:
            reduced = pattern.sub("", form).strip("-")
            if reduced and reduced not in forms:
                forms.add(reduced)
                pending.append(reduced)
    return forms


def _name_tier(candidate: str, wanted: str) -> int | None:
    """How closely file name CANDIDATE matches WANTED (lower is closer), or None when it does not."""
    if candidate == wanted:
        return _TIER_EXACT
    cand, want = Path(candidate), Path(wanted)
    if cand.suffix.lower() != want.suffix.lower():
        return None
    target = _dashed(want.stem).replace("-", "")
    dashed = _dashed(cand.stem)
    if dashed.replace("-", "") == target:
        return _TIER_CASE
    forms = _reductions(dashed)
    if any(form.replace("-", "") == target for form in forms):
        return _TIER_DECORATED
    for form in forms:  # a prefix before a separator: "doejohn_1234_lenet5-cifar10.ipynb" (Canvas)
        if _COURSE_SAMPLE.match(form):  # "sample_predictions.csv" is the course's sample, not a prefix
            continue
        starts = [i + 1 for i, char in enumerate(form) if char == "-"]
        if any(form[start:].replace("-", "") == target for start in starts):
            return _TIER_PREFIXED
    return None


def _newest_first(candidates: list[_Candidate]) -> dict[int, int]:
    """Rank of each candidate by name, newest first: "x (2)" before "x (1)", "v10" before "v9"."""

    def natural(c: _Candidate) -> list[tuple[int, int | str]]:
        return [
            (0, int(part)) if part.isdigit() else (1, part)
            for part in re.split(r"(\d+)", c.path.name.lower())
        ]

    order = sorted(range(len(candidates)), key=lambda i: natural(candidates[i]), reverse=True)
    return {index: rank for rank, index in enumerate(order)}


def _match_expected(
    expected: list[ExpectedFile], candidates: list[_Candidate], taken: set[int], located: Located
) -> None:
    newest = _newest_first(candidates)
    tiers: dict[tuple[int, int], int] = {}
    for e, item in enumerate(expected):
        for c, cand in enumerate(candidates):
            tier = _name_tier(cand.path.name, item.filename)
            if tier is not None:
                tiers[e, c] = tier

    executed = {c: _executed_cells(candidates[c].path) for c in {c for (_, c) in tiers}}

    def preference(pair: tuple[int, int]) -> tuple:
        e, c = pair
        specificity = len(_dashed(Path(expected[e].filename).stem).replace("-", ""))
        cand = candidates[c]
        # of two copies the executed one is graded; the handout asks for the notebooks inside code.zip, so on
        # a tie that copy wins
        return (
            tiers[pair],
            -specificity,
            executed.get(c, 0) == 0,
            cand.depth,
            newest[c],
            not cand.from_nested_zip,
            cand.label,
        )

    chosen: dict[int, int] = {}
    for e, c in sorted(tiers, key=preference):
        if e not in chosen and c not in taken:
            chosen[e] = c
            taken.add(c)
    offered = _offer_leftovers(expected, candidates, taken, chosen)
    for e, item in enumerate(expected):
        c = chosen.get(e)
        located.paths[item.key] = None if c is None else candidates[c].path
        if c is None:
            located.format_ok = False
            located.findings.append(_missing(item, candidates, taken))
            continue
        if e in offered:
            located.format_ok = False
            located.findings.append(
                Finding(
                    kind="file-name",
                    severity="warning",
                    detail=f"graded {candidates[c].label!r} as {item.filename!r}: no file has that name, and "
                    f"{offered[e]}",
                )
            )
            continue
        cand = candidates[c]
        if tiers[e, c] != _TIER_EXACT or cand.depth > _EXACT_MAX_DEPTH:
            slip = tiers[e, c] > _TIER_CASE or cand.depth > _EXACT_MAX_DEPTH
            located.format_ok = located.format_ok and not slip
            where = " (deeper than two folders)" if cand.depth > _EXACT_MAX_DEPTH else ""
            located.findings.append(
                Finding(
                    kind="file-name",
                    severity="warning" if slip else "info",
                    detail=f"found {cand.label!r}{where} for expected {item.filename!r}",
                )
            )
        others = [
            candidates[o].label for (ee, o) in sorted(tiers, key=preference) if ee == e and o not in taken
        ]
        if others:
            located.findings.append(
                Finding(
                    kind="duplicate-file",
                    severity="warning",
                    detail=f"several candidates for {item.filename!r}: used {cand.label!r}, ignored "
                    + ", ".join(repr(label) for label in others),
                )
            )


def _offer_leftovers(
    expected: list[ExpectedFile], candidates: list[_Candidate], taken: set[int], chosen: dict[int, int]
) -> dict[int, str]:
    """Match what is still missing to a leftover file of the same kind, and say why that one was taken.

    Students rename: "simplenn-cifar10-enhanced.ipynb", "resnet20-cifar10.ipynb", "myNet.ipynb". The closest
    pairs of names go first, each clearly closer than the runner-up; then, when every other file of its kind
    matched by name, a file that is the only one of its kind left (of notebooks, the only one that trains
    something) goes to the only file of that kind still missing. Course samples are never offered.
    """
    missing = [e for e in range(len(expected)) if e not in chosen]
    spare = [
        c
        for c, cand in enumerate(candidates)
        if c not in taken and not _COURSE_SAMPLE.match(_dashed(cand.path.stem))
    ]
    suffix = {e: Path(expected[e].filename).suffix.lower() for e in missing}
    scores = {
        (e, c): difflib.SequenceMatcher(
            None, _dashed(Path(expected[e].filename).stem), _dashed(candidates[c].path.stem)
        ).ratio()
        for e in missing
        for c in spare
        if candidates[c].path.suffix.lower() == suffix[e]
    }
    offered: dict[int, str] = {}
    for (e, c), score in sorted(scores.items(), key=lambda pair: -pair[1]):
        rivals = [
            other
            for (ee, cc), other in scores.items()
            if ((ee == e) != (cc == c)) and ee not in offered and cc not in taken
        ]
        if score < _OFFER_MIN_SIMILARITY or e in offered or c in taken or any(r >= score for r in rivals):
            continue
        chosen[e], offered[e] = c, f"its name is the closest ({score:.0%} alike)"
        taken.add(c)
    for kind in set(suffix.values()):
        left_e = [e for e in missing if suffix[e] == kind and e not in offered]
        # scratch notebooks beside it (a plot helper, a loader test) train nothing and do not compete
        left_c = [
            c
            for c in spare
            if c not in taken
            and candidates[c].path.suffix.lower() == kind
            and _could_be_lab(candidates[c].path)
        ]
        guessed = any(suffix[e] == kind for e in offered)
        if len(left_e) == 1 and len(left_c) == 1 and not guessed:
            what = "notebook left that trains a model" if kind == ".ipynb" else f"{kind} file left"
            chosen[left_e[0]], offered[left_e[0]] = left_c[0], f"it is the only {what}"
            taken.add(left_c[0])
    return offered


def _could_be_lab(path: Path) -> bool:
    """A leftover notebook offered only by elimination must train something (an optimizer) on CIFAR-10, so
    a GPU smoke test or another course's lab (an RNN on text) is not graded as this one; any other kind of
    file may be."""
    if path.suffix.lower() != ".ipynb":
        return True
    try:
        cells = json.loads(path.read_bytes()).get("cells", [])
        code = "".join(
            "".join(cell.get("source", ""))
            for cell in cells
            if isinstance(cell, dict) and cell.get("cell_type") == "code"
        )
    except (OSError, ValueError, AttributeError, TypeError):
        return False
    return ("optim." in code or "optimizer" in code) and "cifar" in code.lower()


def _executed_cells(path: Path) -> int:
    """Code cells with an execution count, for a notebook; 0 for anything else or anything unreadable."""
    if path.suffix.lower() != ".ipynb":
        return 0
    try:
        cells = json.loads(path.read_bytes()).get("cells", [])
        return sum(1 for cell in cells if isinstance(cell, dict) and cell.get("execution_count"))
    except (OSError, ValueError, AttributeError):
        return 0


def _missing(item: ExpectedFile, candidates: list[_Candidate], taken: set[int]) -> Finding:
    suffix = Path(item.filename).suffix.lower()
    spare = [c.label for i, c in enumerate(candidates) if i not in taken and c.path.suffix.lower() == suffix]
    hint = f"; unmatched {suffix} files: " + ", ".join(repr(s) for s in spare[:5]) if spare else ""
    return Finding(
        kind="missing-file",
        severity="error",
        detail=f"expected {item.filename!r} ({item.key}); no file has that name or a close variant{hint}",
    )


def _match_report(pattern: str, candidates: list[_Candidate], taken: set[int], located: Located) -> None:
    """The report is a file matching PATTERN; among several, one called "report", then the shallowest."""
    matches = [
        c
        for c in range(len(candidates))
        if c not in taken and fnmatch.fnmatch(candidates[c].path.name.lower(), pattern.lower())
    ]
    if not matches:
        located.paths[REPORT_KEY] = None
        located.format_ok = False
        located.findings.append(
            Finding(kind="missing-file", severity="error", detail=f"no report matching {pattern!r} was found")
        )
        return
    matches.sort(
        key=lambda c: (
            "report" not in candidates[c].path.name.lower(),
            candidates[c].depth,
            candidates[c].label,
        )
    )
    best = matches[0]
    taken.add(best)
    located.paths[REPORT_KEY] = candidates[best].path
    if len(matches) > 1:
        located.findings.append(
            Finding(
                kind="duplicate-file",
                severity="info",
                detail=f"several files match {pattern!r}; used {candidates[best].label!r} as the report, not "
                + ", ".join(repr(candidates[c].label) for c in matches[1:]),
            )
        )


def _course_tools_findings(candidates: list[_Candidate], course_tools: Path | None) -> list[Finding]:
    """Report each student copy of ``tools/`` and whether its modules differ from the course's."""
    copies: dict[str, dict[str, Path]] = {}
    for cand in candidates:
        if cand.path.parent.name.lower() == "tools" and cand.path.suffix == ".py":
            folder = cand.label.rsplit("/", 1)[0] + "/" if "/" in cand.label else "tools/"
            copies.setdefault(folder, {})[cand.path.name] = cand.path
    course = (
        _module_hashes(sorted(course_tools.glob("*.py"))) if course_tools and course_tools.is_dir() else None
    )
    findings = []
    for folder, modules in sorted(copies.items()):
        findings.append(
            Finding(
                kind="course-tools-copy",
                severity="info",
                detail=f"ignored: the grader supplies the course tools package (found {folder!r})",
            )
        )
        if course is None:
            continue
        theirs = _module_hashes(sorted(modules.values()))
        edited = sorted(name for name in theirs if name in course and theirs[name] != course[name])
        added = sorted(name for name in theirs if name not in course)
        if edited or added:
            parts = [f"edited {', '.join(edited)}"] if edited else []
            parts += [f"added {', '.join(added)}"] if added else []
            findings.append(
                Finding(
                    kind="course-tools-edited",
                    severity="warning",
                    detail=f"{folder!r} differs from the course package: {'; '.join(parts)} "
                    "(the notebooks run against the course version)",
                )
            )
    return findings


def _loose_tools_findings(candidates: list[_Candidate]) -> list[Finding]:
    """Course modules copied beside the notebooks instead of into ``tools/``: noted, since the grader
    supplies the package, so a notebook importing ``tools.dataset`` still finds it."""
    loose = sorted(
        cand.label
        for cand in candidates
        if cand.path.name in _COURSE_TOOLS_MODULES and cand.path.parent.name.lower() != "tools"
    )
    if not loose:
        return []
    return [
        Finding(
            kind="course-tools-outside",
            severity="info",
            detail="course tools files outside tools/: "
            + ", ".join(repr(label) for label in loose)
            + " (ignored: the notebooks run against the course's tools package)",
        )
    ]


def _module_hashes(paths: list[Path]) -> dict[str, str]:
    """SHA-256 per module, with CRLF read as LF so a Windows checkout does not count as an edit."""
    return {p.name: hashlib.sha256(p.read_bytes().replace(b"\r\n", b"\n")).hexdigest() for p in paths}
