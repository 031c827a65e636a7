"""CIFAR-10 in chunks small enough for a GPU machine that takes at most 64 MiB of untracked files a call.

    python benchmarks/gpu/split_cifar.py split ../shared/data/cifar10/cifar-10-batches-py .carry
    python benchmarks/gpu/split_cifar.py join .carry DEST/cifar-10-batches-py

``split`` packs the files of SRC, whole and in name order, into folders ``ROOT/cifar10-1``, ``-2``... of at
most ``--max-mib`` (60) each, two ~31 MB batches a folder, and writes the sha256 of every file into
``ROOT/cifar10-1/SHA256SUMS``. ``join`` copies them back into one folder and checks every sum: a missing or
altered file stops it with the file's name, so a broken transfer never trains on half a data set.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
from pathlib import Path

CHUNK_PREFIX = "cifar10-"
SUMS = "SHA256SUMS"
MIB = 1024 * 1024


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(MIB), b""):
            digest.update(block)
    return digest.hexdigest()


def split(src: Path, root: Path, max_mib: float = 60.0) -> list[Path]:
    """The chunk folders written under ROOT (old chunks there are replaced)."""
    files = sorted(p for p in src.iterdir() if p.is_file())
    if not files:
        raise ValueError(f"{src} holds no files")
    limit = int(max_mib * MIB)
    chunks: list[list[Path]] = [[]]
    for path in files:
        size = path.stat().st_size
        if size > limit:
            raise ValueError(f"{path} is {size / MIB:.1f} MiB, more than a chunk's {max_mib:g} MiB")
        if chunks[-1] and sum(p.stat().st_size for p in chunks[-1]) + size > limit:
            chunks.append([])
        chunks[-1].append(path)
    for old in root.glob(f"{CHUNK_PREFIX}*"):
        shutil.rmtree(old)
    folders = []
    for index, members in enumerate(chunks, start=1):
        folder = root / f"{CHUNK_PREFIX}{index}"
        folder.mkdir(parents=True)
        for path in members:
            shutil.copyfile(path, folder / path.name)
        folders.append(folder)
    sums = "".join(f"{sha256(path)}  {path.name}\n" for path in files)
    (folders[0] / SUMS).write_text(sums)
    return folders


def join(root: Path, dest: Path) -> list[str]:
    """Copies the chunks under ROOT into DEST and checks each file's sum; returns the file names."""
    sums_file = root / f"{CHUNK_PREFIX}1" / SUMS
    if not sums_file.is_file():
        raise ValueError(f"{sums_file} is missing: carry the first chunk (see benchmarks/gpu/README.md)")
    expected = dict(reversed(line.split("  ", 1)) for line in sums_file.read_text().splitlines() if line)
    found = {p.name: p for p in root.glob(f"{CHUNK_PREFIX}*/*") if p.name != SUMS}
    missing = sorted(set(expected) - set(found))
    if missing:
        raise ValueError(f"not carried: {', '.join(missing)} (from {root}/{CHUNK_PREFIX}*)")
    dest.mkdir(parents=True, exist_ok=True)
    for name, digest in sorted(expected.items()):
        shutil.copyfile(found[name], dest / name)
        if sha256(dest / name) != digest:
            raise ValueError(f"{found[name]}: its sha256 is not the one {sums_file} recorded")
    return sorted(expected)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    verbs = parser.add_subparsers(dest="verb", required=True)
    cut = verbs.add_parser("split", help="SRC into chunk folders under ROOT")
    cut.add_argument("src", type=Path)
    cut.add_argument("root", type=Path)
    cut.add_argument("--max-mib", type=float, default=60.0)
    glue = verbs.add_parser("join", help="the chunks under ROOT back into DEST, every sum checked")
    glue.add_argument("root", type=Path)
    glue.add_argument("dest", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.verb == "split":
            for folder in split(args.src, args.root, args.max_mib):
                size = sum(p.stat().st_size for p in folder.iterdir()) / MIB
                print(f"{folder}: {size:.1f} MiB")
        else:
            names = join(args.root, args.dest)
            print(f"{args.dest}: {len(names)} files, every sha256 as recorded")
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
