"""A batch spread over a Slurm cluster: one job array, each task grading its share into the shared OUT."""

from grader.cluster.control import cancel_cluster_batch, cluster_status
from grader.cluster.runner import SlurmOptions, grade_on_slurm

__all__ = ["SlurmOptions", "cancel_cluster_batch", "cluster_status", "grade_on_slurm"]
