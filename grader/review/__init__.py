"""The TAs' grading app (``grader review``): grade the manual and inconclusive items of a results folder."""
