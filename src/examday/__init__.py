"""examday: the exam-day runbook as a pytest suite."""

__version__ = "0.1.0"
