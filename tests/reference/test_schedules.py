import math

import pytest
import torch

from reference.train import TrainConfig
from reference.train.schedules import ONECYCLE_START, build_scheduler, lr_factor

STEPS = 10  # iterations per epoch


def factors(config: TrainConfig) -> list[float]:
    f = lr_factor(config, STEPS)
    return [f(t) for t in range(config.epochs * STEPS)]


def test_constant() -> None:
    assert set(factors(TrainConfig(epochs=3, schedule="constant"))) == {1.0}


def test_step_multiplies_by_gamma_at_each_milestone_epoch() -> None:
    f = factors(TrainConfig(epochs=6, schedule="step", milestones=(2, 4), gamma=0.1))
    assert f[0] == f[19] == 1.0
    assert f[20] == pytest.approx(0.1) and f[39] == pytest.approx(0.1)
    assert f[40] == pytest.approx(0.01) and f[-1] == pytest.approx(0.01)


def test_cosine_anneals_from_one_towards_zero() -> None:
    config = TrainConfig(epochs=4, schedule="cosine")
    f = factors(config)
    assert f[0] == 1.0
    assert f[20] == pytest.approx(0.5)
    assert all(a > b for a, b in zip(f, f[1:], strict=False))
    assert f[-1] == pytest.approx(0.5 * (1 + math.cos(math.pi * 39 / 40)))


def test_onecycle_warms_up_linearly_then_decays_to_zero() -> None:
    f = factors(TrainConfig(epochs=4, schedule="onecycle", warmup_fraction=0.25))
    assert f[0] == pytest.approx(ONECYCLE_START)
    assert max(f) == f[10] == 1.0
    assert f[5] == pytest.approx(ONECYCLE_START + (1 - ONECYCLE_START) / 2)
    assert f[25] == pytest.approx(0.5)
    assert f[-1] == pytest.approx(1 / 30)
    assert all(a < b for a, b in zip(f[:10], f[1:11], strict=False))
    assert all(a > b for a, b in zip(f[10:], f[11:], strict=False))


def test_scheduler_sets_the_optimizer_lr_every_iteration() -> None:
    config = TrainConfig(epochs=2, lr=0.2, schedule="step", milestones=(1,), gamma=0.5)
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=config.lr)
    scheduler = build_scheduler(optimizer, config, STEPS)
    seen = []
    for _ in range(2 * STEPS):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert seen[:STEPS] == [0.2] * STEPS
    assert seen[STEPS:] == [pytest.approx(0.1)] * STEPS


@pytest.mark.parametrize("schedule", ["constant", "step", "cosine", "onecycle"])
def test_a_single_iteration_run_has_a_defined_schedule(schedule: str) -> None:
    f = lr_factor(TrainConfig(epochs=1, schedule=schedule), steps_per_epoch=1)
    assert f(0) > 0 and 0 <= f(1) <= 1
