#!/usr/bin/env bash
# The GPU checks of the grader, in one run (goal: under 8 minutes on one H200). From the repository root:
#   bash benchmarks/gpu/check.sh [WORK]
# CIFAR-10 comes from $CIFAR10_DIR, else ../shared/data/cifar10/cifar-10-batches-py, else the chunks carried
# under .carry/cifar10-* (benchmarks/gpu/README.md), reassembled and checked against their sha256 sums.
# Without a usable GPU it says so, lists what it skipped and exits 0. Each step has its own time limit; a
# step that fails or runs out of time is reported and the next one runs.
set -u
cd "$(dirname "$0")/../.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
WORK=${1:-${TMPDIR:-/tmp}/grader-gpu-check}
RUBRIC=ece590-hw2-f20
STEPS=(
  "lab3: the fast ResNet-20 recipe, time and test accuracy"
  "full: the reference submission graded in full mode, sandboxed on the GPU"
  "audit: the reference and a fabricated-claims notebook, against the seed band"
  "trainer: the reference trainer against the template pipeline on the GPU"
  "throughput: K = 1, 2, 4, 8 quick-mode notebooks on one GPU"
)

gpu=$("$PY" -c 'import torch; print(torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")' 2>/dev/null)
if [ -z "$gpu" ]; then
  echo "no GPU: torch.cuda.is_available() is False here (CUDA_VISIBLE_DEVICES='${CUDA_VISIBLE_DEVICES-unset}'," \
    "$(ls /dev/nvidia* 2>/dev/null | wc -l) /dev/nvidia* nodes); skipped, as they need one:"
  printf '  - %s\n' "${STEPS[@]}"
  exit 0
fi
echo "GPU: $gpu"
nvidia-smi --query-gpu=index,name,memory.total,memory.free,driver_version --format=csv 2>/dev/null
mkdir -p "$WORK"
failures=0

step() {  # step NAME LIMIT_S COMMAND...: runs COMMAND under a time limit, printing its time and status
  local name=$1 limit=$2 start status
  shift 2
  echo "=== $name (limit ${limit}s)"
  start=$(date +%s%N)
  timeout "$limit" "$@"
  status=$?
  echo "=== $name: exit $status in $((($(date +%s%N) - start) / 1000000)) ms"
  [ "$status" -eq 0 ] || failures=$((failures + 1))
  return "$status"
}

cifar=${CIFAR10_DIR:-../shared/data/cifar10/cifar-10-batches-py}
if [ ! -f "$cifar/data_batch_1" ]; then
  cifar=$WORK/cifar-10-batches-py
  "$PY" benchmarks/gpu/split_cifar.py join .carry "$cifar" || exit 1
fi
data=$WORK/course-data
[ -d "$data" ] || step "course data" 120 "$PY" -m grader data build --source "$cifar" --out "$data" \
  --relabel-seed 2020 || exit 1

step "${STEPS[0]}" 150 "$PY" -m reference lab3 --recipe fast --data "$data" --out "$WORK/lab3" --device cuda

ref=$WORK/submissions/reference
if [ ! -d "$ref" ]; then
  step "reference submission" 120 "$PY" -c "
import sys
from pathlib import Path
from grader.rubric import load_rubric, resolve_rubric
from grader.samples.submissions import SAMPLE_EPOCHS, reference_submission
reference_submission(load_rubric(resolve_rubric('$RUBRIC')), Path('$data'), Path('$ref'), SAMPLE_EPOCHS)"
fi
step "${STEPS[1]}" 150 "$PY" -m grader grade "$ref" --rubric "$RUBRIC" --data "$data" --out "$WORK/full" \
  --mode full && "$PY" -c "import json,sys; r=json.load(open(sys.argv[1])); print('score', r['score'], '/', r['max_score'])" \
  "$WORK/full/reference/result.json"

fab=$WORK/submissions/fabricated
"$PY" benchmarks/gpu/fabricate.py "$ref" "$fab"
band=$WORK/audit-band.json
step "audit band" 120 "$PY" -m grader audit-band --rubric "$RUBRIC" --data "$data" --seeds 3 --out "$band"
for sub in "$ref" "$fab"; do
  step "${STEPS[2]}: $(basename "$sub")" 60 "$PY" -m grader grade "$sub" --mode audit --rubric "$RUBRIC" \
    --data "$data" --out "$WORK/audit"
done

step "${STEPS[3]}" 60 "$PY" benchmarks/bench_trainer.py --data "$data" --device cuda --epochs 2

class=$WORK/class
[ -d "$class" ] || "$PY" -c "from grader.samples.synthetic_class import make_class; make_class('$class', 8)"
for k in 1 2 4 8; do
  rm -rf "$WORK/batch-$k"
  step "${STEPS[4]}: K=$k, 8 notebooks" 90 "$PY" -m grader batch "$class" --rubric "$RUBRIC" --data "$data" \
    --out "$WORK/batch-$k" --mode quick --gpus 0 --per-gpu "$k" --no-similarity --no-reports --quiet
done

echo "done: $failures step(s) failed or ran out of time; outputs in $WORK"
