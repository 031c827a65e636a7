"""Batch grading of a class: find each student's submission in an LMS download, grade them in parallel."""

from grader.batch.layouts import Submission, discover_submissions, stage_submission
from grader.batch.runner import grade_batch
from grader.batch.summary import BatchEntry, BatchSummary, format_summary

__all__ = [
    "BatchEntry",
    "BatchSummary",
    "Submission",
    "discover_submissions",
    "format_summary",
    "grade_batch",
    "stage_submission",
]
