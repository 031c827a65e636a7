"""Errors the grader reports to its user as a message, never as a bare traceback."""


class GraderError(Exception):
    """A problem with the user's input, explained in the message (which names the file or field)."""


class DataSourceError(GraderError):
    """The CIFAR-10 source given to the course-data builder cannot be used."""


class TemplateError(GraderError):
    """A reference notebook's solution markers cannot be turned into a template."""
