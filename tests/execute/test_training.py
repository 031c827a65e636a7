"""The kernel's record of which models a notebook trains, run in a process of its own (it patches torch)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from tests.paths import REPO_ROOT

SCRIPT = textwrap.dedent(
    """
    import json, torch
    from grader.execute.inkernel.training import REGISTRY_ATTR, track_training
    track_training(torch)
    track_training(torch)  # once per process: a second call changes nothing

    def train(width, steps):
        model = torch.nn.Sequential(torch.nn.Linear(2, width), torch.nn.ReLU(), torch.nn.Linear(width, 1))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(steps):
            optimizer.zero_grad()
            model(torch.randn(4, 2)).sum().backward()
            optimizer.step()

    untrained = torch.nn.Linear(2, 2)
    train(3, 2)
    train(5, 4)
    head = torch.nn.Linear(2, 2)
    torch.optim.Adam(head.parameters()).step()
    models = getattr(torch, REGISTRY_ATTR).models()
    sizes = [[type(m).__name__, sum(p.numel() for p in m.parameters()), s, o] for m, s, o in models]
    print(json.dumps(sizes))
    """
)


def test_models_trained_inside_a_function_are_kept_with_their_steps() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=REPO_ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(done.stdout) == [
        ["Sequential", 2 * 3 + 3 + 3 + 1, 2, "SGD"],
        ["Sequential", 2 * 5 + 5 + 5 + 1, 4, "SGD"],
        ["Linear", 6, 1, "Adam"],
    ]


WRAPPED = textwrap.dedent(
    """
    import json, torch
    from grader.execute.inkernel.training import REGISTRY_ATTR, track_training
    track_training(torch)

    class Net(torch.nn.Module):  # every parameter in one child: the child ties with the model
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(4, 2)
        def forward(self, x):
            return self.fc(x * 2)

    kinds = []
    for _ in range(40):  # the set of built modules iterates in address order: many models, many orders
        net = Net()
        optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
        net(torch.randn(3, 4)).sum().backward()
        optimizer.step()
    print(json.dumps(sorted({type(m).__name__ for m, _, _ in getattr(torch, REGISTRY_ATTR).models()})))
    """
)


def test_a_model_whose_parameters_all_sit_in_one_child_is_the_model_not_the_child() -> None:
    done = subprocess.run(
        [sys.executable, "-c", WRAPPED],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert json.loads(done.stdout) == ["Net"]
