"""Measure the trained model outside the student's kernel: a fresh sandboxed process rebuilds it from the
exported weights and the notebook's definitions, and predicts the course's validation and test images.

The kernel only hands over data: the ``state_dict`` (loaded with ``weights_only=True``) and the names of the
variable and class that held the model. The definitions and the candidate constructors are read by the
grader from the notebook itself (:mod:`grader.static.rebuild`). The fresh process sees no label; the grader
turns its predicted classes into accuracy with its own. A lookup table that memorised the validation labels
shows as validation accuracy far above held-out accuracy, which the checks flag.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
import threading
import time
import typing as t
from pathlib import Path

import numpy as np

from grader.execute.channels import new_nonce, parse_messages
from grader.execute.inkernel.fresh_model import REQUEST_FILE, RESULT_KIND, TRAINED_WEIGHTS_FILE, WEIGHTS_FILE
from grader.execute.oneshot import run_sandboxed
from grader.execute.payload import fresh_model_boot, fresh_model_source
from grader.execute.report import ExecutionReport
from grader.execute.sandbox import DATA_MOUNT, SandboxSpec, sandbox_env
from grader.static.rebuild import constructor_candidates, definitions
from tools import layout

VAL_TRANSFORMS = (
    "transform_val",
    "transform_test",
    "val_transform",
    "test_transform",
    "transform_valid",
    "valid_transform",
    "transform_eval",
    "eval_transform",
    "transform_validation",
    "transform",
)
MAX_OUTPUT_BYTES = 16 * 1024 * 1024
MAX_MODULE_BYTES = 2 * 1024 * 1024  # the submission's own .py files, copied beside the request


@dataclasses.dataclass
class ModelEvaluation:
    """What the fresh process found; ``val``/``test`` are predicted classes for the course's images."""

    ok: bool
    message: str
    model: dict[str, t.Any] | None = None
    built_with: str | None = None
    preprocessing: str | None = None
    val: np.ndarray | None = None
    test: np.ndarray | None = None
    prediction_errors: dict[str, str] = dataclasses.field(default_factory=dict)  # split -> the model's error
    # other preprocessings tried when the notebook names no validation transform: name -> split -> classes
    alternatives: dict[str, dict[str, np.ndarray]] = dataclasses.field(default_factory=dict)
    errors: list[str] = dataclasses.field(default_factory=list)
    cuda_on_cpu: list[str] = dataclasses.field(default_factory=list)  # definitions' CUDA calls run on the CPU
    # the notebook's other trained models, rebuilt and described like ``model`` (the one measured)
    trained: list[dict[str, t.Any]] = dataclasses.field(default_factory=list)
    duration_s: float = 0.0

    def prefer_best(self, val_labels: np.ndarray) -> None:
        """Of the preprocessings tried, keep the one the model does best with on the validation labels.

        Guessing the notebook's preprocessing wrongly would cost the student accuracy they earned.
        """
        if self.val is None or not self.alternatives:
            return
        tried = {self.preprocessing: {"val": self.val, "test": self.test}, **self.alternatives}

        def accuracy(splits: dict[str, t.Any]) -> float:
            val = splits.get("val")
            return -1.0 if val is None else float(np.mean(val == val_labels[: len(val)]))

        best = max(tried, key=lambda name: accuracy(tried[name]))
        self.preprocessing, self.val, self.test = best, tried[best].get("val"), tried[best].get("test")
        self.alternatives = {}

    def summary(self) -> dict[str, t.Any]:
        """The JSON-able part, for result evidence."""
        return {
            "ok": self.ok,
            "message": self.message,
            "built_with": self.built_with,
            "preprocessing": self.preprocessing,
            "prediction_errors": self.prediction_errors,
            "errors": self.errors[:10],
            **({"cuda_on_cpu": self.cuda_on_cpu} if self.cuda_on_cpu else {}),
        }


WAIT_MARGIN_S = 600.0  # beyond the notebook's own limit, for the probes and the kernel's shutdown


def evaluate_model(
    nb: t.Any,
    report: ExecutionReport,
    *,
    submission_dir: Path,
    data_dir: Path | None,
    eval_dir: Path,
    spec: SandboxSpec,
    sandboxed: bool,
    timeout_s: float,
) -> ModelEvaluation:
    """Start a fresh process and measure the exported model in it; never raises for the student's doing."""
    if data_dir is None:
        return ModelEvaluation(False, "no course data to measure the model on")
    fresh = FreshProcess(
        eval_dir, data_dir, spec, sandboxed=sandboxed, timeout_s=timeout_s, wait_limit_s=WAIT_MARGIN_S
    )
    return fresh.evaluate(nb, report, submission_dir)


class FreshProcess:
    """The fresh process, started before the notebook runs so that its interpreter and torch are loaded by
    the time the trained weights exist. It waits for its program on stdin; :meth:`cancel` sends none."""

    def __init__(
        self,
        eval_dir: Path,
        data_dir: Path,
        spec: SandboxSpec,
        *,
        sandboxed: bool,
        timeout_s: float,
        wait_limit_s: float,
    ) -> None:
        self.sandboxed, self.timeout_s, self.wait_limit_s = sandboxed, timeout_s, wait_limit_s
        self.nonce = new_nonce()
        self.work, self.images = _prepare_folders(eval_dir, data_dir, sandboxed)
        self.eval_dir = eval_dir
        self.spec = dataclasses.replace(
            spec, work_dir=self.work, data_dir=eval_dir / DATA_MOUNT if sandboxed else None, runtime_dir=None
        )
        self._program = b""
        self._ready = threading.Event()
        self._outcome: ModelEvaluation | tuple[bytes, int | None, str] | None = None
        self._thread = threading.Thread(target=self._run, name="grader-fresh-process", daemon=True)
        self._thread.start()

    def evaluate(self, nb: t.Any, report: ExecutionReport, submission_dir: Path) -> ModelEvaluation:
        export = (report.probe or {}).get("export")
        if not isinstance(export, dict) or report.state_dict is None:
            self.cancel()
            errors = (report.probe or {}).get("errors") or {}
            why = errors.get("export") or "no nn.Module was found after the run"
            return ModelEvaluation(False, f"no trained model to measure: {why}")
        try:
            _write_request(self.work, self.images, nb, report, export, submission_dir, self.spec.gpu)
            self._program = fresh_model_source(self.nonce).encode()
        except OSError as exc:
            self.cancel()
            return ModelEvaluation(False, f"the grader could not prepare the fresh process: {exc}")
        evaluated = time.monotonic()
        self._ready.set()
        self._thread.join()
        evaluation = self._evaluation()
        evaluation.duration_s = round(time.monotonic() - evaluated, 3)
        return evaluation

    def cancel(self) -> None:
        self._program = b""
        self._ready.set()
        self._thread.join()

    def _input(self) -> bytes:
        self._ready.wait()
        return self._program

    def _run(self) -> None:
        command = [sys.executable, "-I", "-c", fresh_model_boot()]
        try:
            if self.sandboxed:
                self._outcome = self._run_sandboxed(command)
            else:
                self._outcome = self._run_bare(command)
        except OSError as exc:
            self._outcome = ModelEvaluation(False, f"the grader could not run the fresh process: {exc}")

    def _run_sandboxed(self, command: list[str]) -> ModelEvaluation | tuple[bytes, int | None, str]:
        result = run_sandboxed(
            self.spec,
            command,
            timeout_s=self.timeout_s,
            stdin=self._input,
            max_stdout_bytes=MAX_OUTPUT_BYTES,
            wait_limit_s=self.wait_limit_s,
        )
        if result.breach is not None:
            return ModelEvaluation(False, f"the fresh process was stopped: {result.breach.message}")
        if result.timed_out:
            return ModelEvaluation(False, f"the fresh process did not finish within {self.timeout_s:g} s")
        return result.stdout, result.returncode, result.stderr_tail

    def _run_bare(self, command: list[str]) -> ModelEvaluation | tuple[bytes, int | None, str]:
        (self.eval_dir / "home").mkdir(exist_ok=True)
        env = sandbox_env(self.spec, home=str(self.eval_dir / "home"))
        pipe = subprocess.PIPE
        process = subprocess.Popen(command, stdin=pipe, stdout=pipe, stderr=pipe, cwd=self.work, env=env)
        try:
            out, err = process.communicate(self._input(), timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            return ModelEvaluation(False, f"the fresh process did not finish within {self.timeout_s:g} s")
        return out[:MAX_OUTPUT_BYTES], process.returncode, err.decode("utf-8", errors="replace")

    def _evaluation(self) -> ModelEvaluation:
        if isinstance(self._outcome, ModelEvaluation):
            return self._outcome
        if self._outcome is None:
            return ModelEvaluation(False, "the fresh process gave no outcome")
        output, code, stderr = self._outcome
        messages = parse_messages(output, self.nonce)
        if messages.repeated:
            return ModelEvaluation(False, "the fresh process's result was sent more than once: tampering")
        raw = messages.payloads.get(RESULT_KIND)
        if raw is None:
            return ModelEvaluation(
                False, f"the fresh process ended (exit code {code}) without a result: {_last_line(stderr)}"
            )
        return _parse(raw)


def _prepare_folders(eval_dir: Path, data_dir: Path, sandboxed: bool) -> tuple[Path, dict[str, str]]:
    """A fresh work folder, and the images (the images alone: not even the validation labels)."""
    if eval_dir.exists():
        shutil.rmtree(eval_dir)
    work = eval_dir / "work"
    work.mkdir(parents=True)
    images = {"val": layout.VAL_IMAGES, "test": layout.TEST_IMAGES}
    present = {split: name for split, name in images.items() if (data_dir / name).is_file()}
    if not sandboxed:
        return work, {split: str((data_dir / name).resolve()) for split, name in present.items()}
    (eval_dir / DATA_MOUNT).mkdir()
    for name in present.values():
        (eval_dir / DATA_MOUNT / name).symlink_to((data_dir / name).resolve())
    return work, {split: f"{DATA_MOUNT}/{name}" for split, name in present.items()}


def _write_request(
    work: Path,
    images: dict[str, str],
    nb: t.Any,
    report: ExecutionReport,
    export: dict[str, t.Any],
    submission_dir: Path,
    gpu: bool,
) -> None:
    _copy_modules(submission_dir, work)
    assert report.state_dict is not None
    shutil.copyfile(report.state_dict, work / WEIGHTS_FILE)
    trained = (report.probe or {}).get("trained")
    trained = trained if isinstance(trained, list) and report.trained_state_dicts is not None else []
    if trained:
        shutil.copyfile(report.trained_state_dicts, work / TRAINED_WEIGHTS_FILE)
    request = {
        "class_name": export.get("class_name"),
        "definitions": [dataclasses.asdict(d) for d in definitions(nb)],
        "candidates": constructor_candidates(nb, export.get("variable"), str(export.get("class_name"))),
        "trained": [
            {
                "candidates": constructor_candidates(nb, entry.get("variable"), str(entry.get("class_name"))),
                "steps": entry.get("steps"),
                "activations": entry.get("activations"),
            }
            for entry in (e if isinstance(e, dict) else {} for e in trained)
        ],
        "transforms": list(VAL_TRANSFORMS),
        "images": images,
        "device": "cuda" if gpu else "cpu",
    }
    (work / REQUEST_FILE).write_text(json.dumps(request), encoding="utf-8")


def _copy_modules(submission_dir: Path, work: Path) -> None:
    """The submission's own ``.py`` files (``from models import ResNet20``), up to a small total size."""
    budget = MAX_MODULE_BYTES
    for path in sorted(submission_dir.rglob("*.py")):
        relative = path.relative_to(submission_dir)
        if path.is_symlink() or not path.is_file() or len(relative.parts) > 3 or path.stat().st_size > budget:
            continue
        budget -= path.stat().st_size
        (work / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, work / relative)


def _parse(raw: bytes) -> ModelEvaluation:
    try:
        result = json.loads(raw)
    except ValueError:
        return ModelEvaluation(False, "the fresh process's result is not valid JSON")
    if not isinstance(result, dict):
        return ModelEvaluation(False, "the fresh process's result is not an object")
    errors = [str(e) for e in [*result.get("definition_errors", []), *result.get("build_errors", [])]]
    if result.get("fatal"):
        detail = "; ".join(result.get("build_errors", [])[:3])
        return ModelEvaluation(
            False, f"{result['fatal']}" + (f" ({detail})" if detail else ""), errors=errors
        )
    predictions = result.get("predictions") or {}
    return ModelEvaluation(
        True,
        f"measured in a fresh process that rebuilt the model as {result.get('built_with')}",
        model=result.get("model") if isinstance(result.get("model"), dict) else None,
        built_with=result.get("built_with"),
        preprocessing=result.get("preprocessing"),
        val=_labels(predictions.get("val")),
        test=_labels(predictions.get("test")),
        prediction_errors={str(k): str(v) for k, v in (result.get("prediction_errors") or {}).items()},
        alternatives={
            str(name): {
                split: labels
                for split in ("val", "test")
                if (labels := _labels(splits.get(split))) is not None
            }
            for name, splits in (result.get("alternatives") or {}).items()
            if isinstance(splits, dict)
        },
        errors=errors,
        cuda_on_cpu=[str(call) for call in result.get("cuda_on_cpu") or []],
        trained=[m for m in result.get("trained") or [] if isinstance(m, dict)],
    )


def _labels(values: object) -> np.ndarray | None:
    if not isinstance(values, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in values
    ):
        return None
    return np.asarray(values, dtype=np.int64)


def _last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1][:300] if lines else "no output"
