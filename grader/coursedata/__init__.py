"""Building the course's CIFAR-10 splits (train/val/test + TA-only hidden labels) from a source."""

from grader.coursedata.build import BuildSummary, build_course_data

__all__ = ["BuildSummary", "build_course_data"]
