"""From the bytes of a predictions file to its numbered text lines, refusing what is not CSV text.

Harmless deviations (CRLF or CR line endings, a UTF-8 BOM) are accepted and noted; binary files, UTF-16 and
non-UTF-8 bytes are refused with the line they are on.
"""

from __future__ import annotations

from pathlib import Path

from .problems import PredictionsError

# 10,000 rows of "9999,9" take about 70 KB; anything this large is not a predictions file.
MAX_BYTES = 5_000_000

_UTF8_BOM = b"\xef\xbb\xbf"
_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive (an .xlsx workbook is one): export it as CSV"),
    (b"\x93NUMPY", "a NumPy .npy file: write it with pandas.DataFrame.to_csv or csv.writer"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xd0\xcf\x11\xe0", "an old-style Excel/Office file: export it as CSV"),
)
_CONTROL_BYTES = frozenset(range(0, 32)) - {9, 10, 13} | {127}


def read_bounded(path: Path, max_bytes: int) -> bytes:
    name = path.name
    try:
        if not path.exists():
            raise PredictionsError(f"{name} not found (looked for {path})")
        if not path.is_file():
            raise PredictionsError(f"{name} is not a regular file")
        size = path.stat().st_size
        if size > max_bytes:
            raise PredictionsError(_too_large(name, size, max_bytes))
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise PredictionsError(f"{name} cannot be read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise PredictionsError(_too_large(name, len(data), max_bytes))
    return data


def _too_large(name: str, size: int, max_bytes: int) -> str:
    return (
        f"{name} is {size / 1e6:.1f} MB; a predictions file for 10,000 images is about 70 KB, "
        f"so files over {max_bytes / 1e6:.1f} MB are refused"
    )


def text_lines(data: bytes, name: str, notes: list[str]) -> list[tuple[int, str]]:
    """Decode to (1-based line number, text) pairs, refusing binary content and non-UTF-8 bytes by line."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise PredictionsError(
            f"{name} is UTF-16 encoded (Excel's 'Unicode Text'); save it as 'CSV UTF-8' or plain ASCII CSV"
        )
    for magic, what in _BINARY_SIGNATURES:
        if data.startswith(magic):
            raise PredictionsError(f"{name} is {what}, not a CSV text file")
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
        notes.append("UTF-8 byte order mark (BOM) at the start (accepted)")
    _refuse_binary(data, name)
    if b"\r\n" in data:
        notes.append("CRLF (Windows) line endings (accepted)")
    separator = b"\n"
    if b"\r" in data and b"\n" not in data:
        separator = b"\r"
        notes.append("CR (classic Mac) line endings (accepted)")
    raw_lines = data.split(separator)
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()
    lines = []
    for number, raw in enumerate(raw_lines, start=1):
        raw = raw.rstrip(b"\r")
        try:
            lines.append((number, raw.decode("utf-8")))
        except UnicodeDecodeError as exc:
            raise PredictionsError(_not_utf8(name, number, raw, exc.start)) from None
    return lines


def _refuse_binary(data: bytes, name: str) -> None:
    """NUL or many control bytes mean a binary file; naming the line helps with a half-corrupted one."""
    head = data[:8192]
    controls = [i for i, byte in enumerate(head) if byte in _CONTROL_BYTES]
    first_nul = data.find(b"\x00")
    if first_nul < 0 and len(controls) <= max(2, len(head) // 50):
        return
    position = first_nul if first_nul >= 0 else controls[0]
    line = data[:position].count(b"\n") + 1
    raise PredictionsError(
        f"{name} is not CSV text: line {line} holds binary data (byte 0x{data[position]:02x}); "
        "expected lines such as '0,3'"
    )


def _not_utf8(name: str, number: int, raw: bytes, start: int) -> str:
    guess = ""
    try:
        raw.decode("cp1252")
        guess = " The file looks Latin-1/Windows-1252 encoded."
    except UnicodeDecodeError:
        pass
    return (
        f"{name}: line {number} is not valid UTF-8 (byte 0x{raw[start]:02x} at column {start + 1}).{guess} "
        "Save it as UTF-8 (or plain ASCII) CSV; a predictions file needs only digits, commas and the header."
    )
