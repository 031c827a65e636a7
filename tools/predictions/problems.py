"""How the reader reports a file it refuses: one error naming the file, each problem with its line."""

from __future__ import annotations

from dataclasses import dataclass, field

EXAMPLES = 5


class PredictionsError(ValueError):
    """A predictions file cannot be scored; the message names the file, the line and what was expected."""


@dataclass
class Problems:
    """Problems grouped by kind, so 10,000 float labels read as one problem with a count, not 10,000 lines."""

    by_kind: dict[str, list[tuple[int | None, str]]] = field(default_factory=dict)

    def add(self, kind: str, line: int | None, message: str) -> None:
        self.by_kind.setdefault(kind, []).append((line, message))

    def raise_if_any(self, name: str) -> None:
        if not self.by_kind:
            return
        entries = [_describe(group) for group in self.by_kind.values()]
        if len(entries) == 1:
            raise PredictionsError(f"{name}: {entries[0]}")
        raise PredictionsError(f"{name}: {len(entries)} problems:\n" + "\n".join(f"  - {e}" for e in entries))


def _describe(group: list[tuple[int | None, str]]) -> str:
    line, message = group[0]
    text = message if line is None else f"line {line}: {message}"
    if len(group) > 1:
        more = [str(other) for other, _ in group[1 : 1 + EXAMPLES] if other is not None]
        tail = f", e.g. lines {', '.join(more)}" if more else ""
        text += f" (the same problem on {len(group) - 1:,} more lines{tail})"
    return text


def show(text: str, limit: int = 60) -> str:
    """TEXT as a message quotes it: stripped, and cut short when long."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."
