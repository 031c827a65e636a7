"""Audit mode counts the epochs a run prints as the text streams: it must read them as the stored outputs are
read, or a run would be stopped at another epoch than the one its claim is compared at."""

from __future__ import annotations

from nbformat import v4

from grader.static.outputs import EpochCounter, parse_stored_outputs

LOG = (
    "==> Training starts!\n"
    "Epoch 0:\nTraining loss: 1.9000, Training accuracy: 0.3000\n"
    "Validation loss: 1.8000, Validation accuracy: 0.3500\n"
    "Epoch 1:\r\nTraining loss: 1.5000, Training accuracy: 0.4500\r"
    "Validation loss: 1.4000, Validation accuracy: 0.4800\n"
    "val_acc = 51.2%\n"
    "==> Optimization finished! Best validation accuracy: 0.5120\n"
)


def stored_epochs(text: str) -> int:
    cell = v4.new_code_cell(
        "train()", execution_count=1, outputs=[v4.new_output("stream", name="stdout", text=text)]
    )
    return len(parse_stored_outputs(v4.new_notebook(cells=[cell])).val_accuracies)


def test_streamed_lines_count_as_the_stored_outputs_read_them() -> None:
    counter = EpochCounter()
    assert counter.feed(LOG) == stored_epochs(LOG) == 3  # the Best line and the training lines not counted


def test_a_line_split_across_chunks_counts_once_when_it_ends() -> None:
    counter = EpochCounter()
    pieces = [LOG[i : i + 7] for i in range(0, len(LOG), 7)]  # splits lines, numbers and "\r\n" alike
    seen = [counter.feed(piece) for piece in pieces]
    assert seen[-1] == 3
    assert seen == sorted(seen)
    half = EpochCounter()
    assert half.feed("Validation loss: 1.4, Validation accur") == 0
    assert half.feed("acy: 0.48") == 0  # not yet ended: the number may go on
    assert half.feed("12\n") == 1


def test_training_accuracy_lines_are_not_validation_epochs() -> None:
    text = "Training accuracy: 0.9000\ntrain_acc=0.95\nTraining loss: 0.1, Training accuracy: 0.97\n"
    assert EpochCounter().feed(text) == stored_epochs(text) == 0


def test_each_stream_keeps_its_own_unfinished_line() -> None:
    counter = EpochCounter()
    counter.feed("Validation accuracy: ", "stdout")
    counter.feed("Warning: slow\n", "stderr")  # does not end the stdout line
    assert counter.epochs == 0
    assert counter.feed("0.5\n", "stdout") == 1


def test_a_flood_without_line_breaks_keeps_only_a_bounded_tail() -> None:
    counter = EpochCounter()
    for _ in range(200):
        assert counter.feed("x" * 10_000) == 0
    assert counter.feed("\nValidation loss: 1.2, Validation accuracy: 0.51\n") == 1
    # the tail of a flooded line is kept, so its own end still reads as the stored parser reads it
    assert counter.feed("y" * 50_000 + "Validation loss: 1.1, Validation accuracy: 0.55\n") == 2
