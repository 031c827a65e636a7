"""Notebook code for the similarity tests: an original, a disguised copy of it and independent work, and
what the grader leaves in OUT for a submission."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat import v4

from tests.paths import STUDENT_TEMPLATE

TEMPLATE = STUDENT_TEMPLATE / "lenet5-cifar10.ipynb"
NOTEBOOK = "lenet5-cifar10.ipynb"

ORIGINAL = '''
def cutout(images, size=8, rng=None):
    """Zero a random square of every image in the batch."""
    rng = rng or np.random.default_rng(0)
    out = images.clone()
    n, _, height, width = out.shape
    for i in range(n):
        y = int(rng.integers(0, height - size))
        x = int(rng.integers(0, width - size))
        out[i, :, y : y + size, x : x + size] = 0.0
    return out


def run_epoch(model, loader, loss_fn, opt, device, train=True):
    model.train(train)
    total, correct, loss_sum = 0, 0, 0.0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        if train:
            inputs = cutout(inputs)
            opt.zero_grad()
        logits = model(inputs)
        loss = loss_fn(logits, targets)
        if train:
            loss.backward()
            opt.step()
        loss_sum += loss.item() * targets.size(0)
        correct += (logits.argmax(1) == targets).sum().item()
        total += targets.size(0)
    return loss_sum / total, correct / total


history = {"train": [], "val": []}
for epoch in range(EPOCHS):
    history["train"].append(run_epoch(net, trainloader, criterion, optimizer, device, True))
    history["val"].append(run_epoch(net, valloader, criterion, optimizer, device, False))
    print("epoch %d: %s" % (epoch, history["val"][-1]))
'''

# The same code with every name changed, comments and strings reworded and the layout reflowed.
DISGUISED = """
def erase_patch(batch, patch=8, gen=None):
    # blank out one square per picture
    gen = gen or np.random.default_rng(0)
    result = batch.clone()
    count, _, h, w = result.shape
    for k in range(count):
        top = int(gen.integers(0, h - patch))
        left = int(gen.integers(0, w - patch))
        result[k, :, top : top + patch, left : left + patch] = 0.0
    return result

def one_pass(network, data, crit, optim_, dev, learning=True):
    network.train(learning)
    seen, hits, running = 0, 0, 0.0
    for xb, yb in data:
        xb, yb = xb.to(dev), yb.to(dev)
        if learning:
            xb = erase_patch(xb)
            optim_.zero_grad()
        scores = network(xb)
        cost = crit(scores, yb)
        if learning:
            cost.backward()
            optim_.step()
        running += cost.item() * yb.size(0)
        hits += (scores.argmax(1) == yb).sum().item()
        seen += yb.size(0)
    return running / seen, hits / seen

log = {"fit": [], "check": []}
for ep in range(EPOCHS):
    log["fit"].append(one_pass(net, trainloader, criterion, optimizer, device, True))
    log["check"].append(one_pass(net, valloader, criterion, optimizer, device, False))
    print("after epoch", ep, log["check"][-1])
"""

INDEPENDENT = """
class Trainer:
    def __init__(self, model, optimizer, criterion, scheduler=None):
        self.model, self.optimizer, self.criterion = model, optimizer, criterion
        self.scheduler = scheduler
        self.best = 0.0

    def evaluate(self, loader):
        self.model.eval()
        with torch.no_grad():
            predictions = torch.cat([self.model(x.to(device)).argmax(dim=1).cpu() for x, _ in loader])
            labels = torch.cat([y for _, y in loader])
        return (predictions == labels).float().mean().item()

    def fit(self, epochs):
        for epoch in range(epochs):
            self.model.train()
            for x, y in trainloader:
                self.optimizer.zero_grad()
                self.criterion(self.model(x.to(device)), y.to(device)).backward()
                self.optimizer.step()
            if self.scheduler is not None:
                self.scheduler.step()
            accuracy = self.evaluate(valloader)
            self.best = max(self.best, accuracy)
            print(f"epoch {epoch + 1}/{epochs} validation accuracy {accuracy:.4f} best {self.best:.4f}")
        return self.best


scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS)
Trainer(net, optimizer, criterion, scheduler).fit(EPOCHS)
"""


def graded_submission(out: Path, sub_id: str, extra_code: str | None) -> None:
    """What the grader leaves in OUT for a submission: a result and the unpacked copy."""
    nb = nbformat.read(TEMPLATE, as_version=4)
    if extra_code is not None:
        nb.cells.append(v4.new_code_cell(extra_code))
    folder = out / sub_id / "work" / "submission"
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / NOTEBOOK)
    (out / sub_id / "result.json").write_text("{}")
