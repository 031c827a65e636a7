import os

# Set before torch loads OpenMP. Spinning worker threads make 2-thread CPU training 10-30x slower as soon as
# another process competes for the cores (measured on a shared 2-core machine); sleeping ones cost little when
# the machine is idle.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from reference.cli import main  # noqa: E402

raise SystemExit(main())
