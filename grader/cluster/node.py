"""The program each array task starts with: submitit's own entry point, after registering its plugins.

submitit 1.5 finds its executors and job environments through ``pkg_resources``, which setuptools 81 and
later no longer ship. The grader uses no submitit plugin, so it registers the built-in ones itself (where
``pkg_resources`` is missing) and then hands over to ``submitit.core._submit``.

    python -m grader.cluster.node -u -m submitit.core._submit FOLDER
"""

from __future__ import annotations

import functools
import sys


def builtin_plugins() -> None:
    try:
        import pkg_resources  # noqa: F401
    except ImportError:
        pass
    else:
        return
    from submitit.core import plugins
    from submitit.local import debug, local
    from submitit.slurm import slurm

    @functools.lru_cache
    def builtin() -> tuple[list, list]:
        executors = [slurm.SlurmExecutor, local.LocalExecutor, debug.DebugExecutor]
        environments = [slurm.SlurmJobEnvironment(), local.LocalJobEnvironment(), debug.DebugJobEnvironment()]
        return executors, environments

    plugins._get_plugins = builtin


def main(argv: list[str]) -> None:
    """ARGV ends with the submitit folder: submitit appends its own ``-u -m ... FOLDER`` to the command."""
    builtin_plugins()
    from submitit.core.submission import submitit_main

    sys.argv = [sys.argv[0], argv[-1]]
    submitit_main()


if __name__ == "__main__":
    main(sys.argv[1:])
