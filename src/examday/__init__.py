"""examday: the exam-day runbook as a pytest suite."""

from examday.errors import ExamdayError

__all__ = ["ExamdayError", "__version__"]

__version__ = "0.1.0"
