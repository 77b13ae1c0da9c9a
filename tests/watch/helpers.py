"""Running `examday` the way an operator does, for the watch tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def examday_cli(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`examday ...` as an operator runs it (from a folder other than the repository's)."""
    return subprocess.run([sys.executable, "-m", "examday.cli.main", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})


def watch_folder(reports_dir: Path) -> Path:
    [folder] = reports_dir.glob("sandbox/watch-*")
    return folder
