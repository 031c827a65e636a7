"""The model description's plain-JSON conversion: what a probe or the fresh process sends must be JSON the
grader can read, whatever the student's objects hold."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from grader.execute.inkernel.describe import jsonable


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        (np.float32(1.5), 1.5),
        (torch.tensor([1, 2]), [1, 2]),
        ((1, 2), [1, 2]),
        ({3, 1}, [1, 3]),
        (float("inf"), "inf"),
        ({"nan": float("nan"), 2: None}, {"nan": "nan", "2": None}),
    ],
)
def test_jsonable_gives_plain_json(value: object, plain: object) -> None:
    converted = jsonable(value)
    assert converted == plain
    assert json.loads(json.dumps(converted, allow_nan=False)) == converted


def test_an_array_too_big_to_list_becomes_its_short_repr() -> None:
    converted = jsonable(torch.zeros(1000))
    assert isinstance(converted, str) and converted.startswith("tensor(") and len(converted) == 200
