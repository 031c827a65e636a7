"""Grading one submission: intake, static checks, sandboxed execution, checks, rubric, result.json."""

from grader.grading.pipeline import GradeOptions, grade_submission

__all__ = ["GradeOptions", "grade_submission"]
