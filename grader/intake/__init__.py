"""Submission intake: unpack safely, find the handout's files, fingerprint the content."""

from grader.intake.fingerprint import content_sha256, submission_id
from grader.intake.locate import ExpectedFile, Located, locate_files
from grader.intake.unpack import IntakeLimits, IntakeRejected, unpack_submission

__all__ = [
    "ExpectedFile",
    "IntakeLimits",
    "IntakeRejected",
    "Located",
    "content_sha256",
    "locate_files",
    "submission_id",
    "unpack_submission",
]
