"""The sandbox stand-in of the exam platform's FastAPI backend (see docs/platform.md)."""
