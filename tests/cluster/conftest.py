"""The cluster tests' Slurm, one per session."""

from tests.cluster.slurm_cluster import slurm_cluster

__all__ = ["slurm_cluster"]
