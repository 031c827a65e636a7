"""Reports from result records: a page per student, a class dashboard, a gradebook, Gradescope results."""

from grader.report.collect import Batch, load_batch, results_folder
from grader.report.dashboard import render_dashboard
from grader.report.gradebook import write_gradebook
from grader.report.gradescope import to_gradescope, validate_gradescope
from grader.report.student import render_student_report

__all__ = [
    "Batch",
    "load_batch",
    "render_dashboard",
    "render_student_report",
    "results_folder",
    "to_gradescope",
    "validate_gradescope",
    "write_gradebook",
]
