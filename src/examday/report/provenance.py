"""Where a run came from: examday's version, the checklist's git commit, the host."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import examday

GIT_TIMEOUT_SECONDS = 5


def examday_version() -> str:
    return examday.__version__


def git_commit(repository: Path) -> str:
    """The commit the checklist was run from, "+ uncommitted changes" when the tree differs; "unknown" outside git."""
    try:
        head = _git(repository, "rev-parse", "HEAD")
        if head is None:
            return "unknown (not a git checkout)"
        dirty = _git(repository, "status", "--porcelain", "--untracked-files=no")
        return head + (" + uncommitted changes" if dirty else "")
    except (OSError, subprocess.TimeoutExpired):
        return "unknown (git not available)"


def _git(repository: Path, *args: str) -> str | None:
    done = subprocess.run(["git", "-C", str(repository), *args], capture_output=True, text=True,
                          timeout=GIT_TIMEOUT_SECONDS)
    return done.stdout.strip() if done.returncode == 0 else None


def host_name() -> str:
    return socket.gethostname()
