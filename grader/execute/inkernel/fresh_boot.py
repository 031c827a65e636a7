"""The fresh process's first program, given on its command line: it loads its libraries while the notebook
still runs, then reads its real program (:mod:`grader.execute.inkernel.fresh_model`) from stdin, which the
grader sends once the trained weights exist.
"""

from __future__ import annotations

import sys


def boot() -> None:
    """Import numpy and torch (and PIL and torchvision where installed) now, then run what stdin brings."""
    import numpy  # noqa: F401  (loaded now, used by the program that comes later)
    import torch  # noqa: F401

    try:
        import PIL.Image  # noqa: F401
        import torchvision.transforms  # noqa: F401
    except ImportError:
        pass
    exec(compile(sys.stdin.read(), "<fresh model>", "exec"), globals())  # as at the top level of __main__
