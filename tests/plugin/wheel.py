"""examday as a team installs it: a wheel built from this repository, in a fresh venv of its own."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.plugin.team_folder import REPO

# What a wheel is built from (what the sdist carries): the rest of the repository is not examday.
SOURCES = ("pyproject.toml", "README.md", "src", "checks")
_NOT_SOURCES = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".*")


def build_wheel(folder: Path) -> Path:
    """`pip wheel --no-deps` of a copy of the sources (a build in place would leave build/ and
    egg-info in the checkout)."""
    source = folder / "source"
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=_NOT_SOURCES)
        else:
            source.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    dist = folder / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)], timeout=300)
    [wheel] = dist.glob("examday-*.whl")
    return wheel


def install_in_fresh_venv(folder: Path, wheel: Path) -> Path:
    """A new venv (no access to this one's packages) with the wheel and its dependencies from the
    index; returns its python."""
    venv = folder / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], timeout=120)
    python = venv / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)], timeout=900)
    return python


def _run(argv: list[str], timeout: float) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(argv)}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
