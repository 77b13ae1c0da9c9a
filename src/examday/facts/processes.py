"""What the processes of a container or host are: web servers and their workers, cron daemons, jobs.
Pure: no I/O, easy to test.

Process lists come from any probe (docker top, /proc, testinfra); anything with
pid, ppid and cmdline will do.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar


class ProcessLike(Protocol):
    @property
    def pid(self) -> int: ...
    @property
    def ppid(self) -> int: ...
    @property
    def cmdline(self) -> str: ...


P = TypeVar("P", bound=ProcessLike)


def _argv(cmdline: str) -> list[str]:
    try:
        return shlex.split(cmdline)
    except ValueError:  # ps output is not shell-quoted; an odd quote must not break us
        return cmdline.split()


def _basename(word: str) -> str:
    return os.path.basename(word)


def _is_python(word: str) -> bool:
    return re.fullmatch(r"python[0-9.]*", _basename(word)) is not None


def _program_words(argv: Sequence[str]) -> list[str]:
    """The program and what it runs: `python -m x`, `python /path/x`, or `x` itself."""
    if not argv:
        return []
    if _is_python(argv[0]):
        rest = [word for word in argv[1:] if word not in ("-u", "-O", "-B", "-E", "-s")]
        if rest[:1] == ["-m"] and len(rest) > 1:
            return [_basename(argv[0]), rest[1], *rest[2:3]]
        return [_basename(argv[0]), *(_basename(word) for word in rest[:2])]
    return [_basename(argv[0]), *argv[1:2]]


def is_uvicorn_server(process: ProcessLike) -> bool:
    """`uvicorn ...`, `python -m uvicorn ...` or `python /usr/local/bin/uvicorn ...` (not `sh -c "uvicorn"`)."""
    words = _program_words(_argv(process.cmdline))
    return bool(words) and (words[0] == "uvicorn" or (_is_python(words[0]) and words[1:2] == ["uvicorn"]))


def is_gunicorn_server(process: ProcessLike) -> bool:
    words = _program_words(_argv(process.cmdline))
    return bool(words) and ("gunicorn" in words[:2] or words[0].startswith("gunicorn:"))


def is_multiprocessing_spawn_worker(process: ProcessLike) -> bool:
    return "from multiprocessing.spawn import spawn_main" in process.cmdline


def is_multiprocessing_helper(process: ProcessLike) -> bool:
    """The resource tracker and forkserver: started by multiprocessing, never serve requests."""
    return "multiprocessing.resource_tracker" in process.cmdline or "multiprocessing.forkserver" in process.cmdline


@dataclass(frozen=True)
class UvicornTree:
    master_pid: int
    worker_pids: tuple[int, ...]


def uvicorn_trees(processes: Iterable[P]) -> list[UvicornTree]:
    """Each uvicorn master with its worker children (spawned or forked; helpers excluded)."""
    listed = list(processes)
    servers = {p.pid for p in listed if is_uvicorn_server(p)}
    # A forked worker is itself a uvicorn process: only the topmost one is the master.
    masters = sorted(pid for pid in servers if _parent_of(listed, pid) not in servers)
    return [
        UvicornTree(master_pid=master, worker_pids=tuple(sorted(
            p.pid for p in listed if p.ppid == master and not is_multiprocessing_helper(p))))
        for master in masters
    ]


def uvicorn_worker_pids(processes: Iterable[P]) -> list[int]:
    """The pids of every uvicorn server's workers, in the namespace the listing was read in."""
    return [pid for tree in uvicorn_trees(processes) for pid in tree.worker_pids]


def count_uvicorn_workers(processes: Iterable[P]) -> int:
    """Worker processes under uvicorn master(s). `ps | grep uvicorn` misses spawn workers.

    0 means a master serving on its own (no --workers) or no uvicorn at all; see uvicorn_trees.
    """
    return sum(len(tree.worker_pids) for tree in uvicorn_trees(processes))


def count_serving_processes(processes: Iterable[P]) -> int:
    """Processes that each hold their own connection pool: a master's workers, or the master
    itself when it serves on its own (`--workers 1`, or none: uvicorn then runs no supervisor)."""
    return sum(len(tree.worker_pids) or 1 for tree in uvicorn_trees(processes))


def _parent_of(processes: Sequence[P], pid: int) -> int | None:
    return next((p.ppid for p in processes if p.pid == pid), None)


# -- job processes --------------------------------------------------------------------------

def _is_web_server_process(process: ProcessLike) -> bool:
    """uvicorn, gunicorn and their spawned workers and helpers: they serve requests, never run jobs
    (a spawn worker's `python -c from multiprocessing.spawn import spawn_main` names no job)."""
    return (is_uvicorn_server(process) or is_gunicorn_server(process)
            or is_multiprocessing_spawn_worker(process) or is_multiprocessing_helper(process))


def is_job_process(process: ProcessLike, patterns: Iterable[re.Pattern[str]]) -> bool:
    """A process whose command line matches one of the job patterns ([jobs] command_patterns).

    `python -m app.jobs.run revision_queue_regen` is a job; a cron daemon is not (it starts only
    its crontab's entries, which are judged from the crontab); web servers never are.
    """
    if _is_web_server_process(process):
        return False
    return any(pattern.search(process.cmdline) for pattern in patterns)


def job_processes(processes: Iterable[P], patterns: Iterable[re.Pattern[str]]) -> list[P]:
    compiled = list(patterns)
    return [process for process in processes if is_job_process(process, compiled)]


_CRON_DAEMONS = frozenset({"cron", "crond", "busybox-crond", "supercronic", "fcron", "dcron"})


def is_cron_daemon(process: ProcessLike) -> bool:
    """cron, crond, `busybox crond`, supercronic: not a job, but its crontabs start them."""
    argv = _argv(process.cmdline)
    if not argv:
        return False
    program = _basename(argv[0])
    return program in _CRON_DAEMONS or (program == "busybox" and argv[1:2] == ["crond"])


def supercronic_crontabs(process: ProcessLike) -> list[str]:
    """The crontab files a supercronic process was given (its non-option arguments)."""
    argv = _argv(process.cmdline)
    if not argv or _basename(argv[0]) != "supercronic":
        return []
    return [word for word in argv[1:] if word.startswith("/")]


# -- the runbook's program-name heuristic ----------------------------------------------------
# Kept for the probe tests that still use it (tests/probes/test_capacity, test_docker, test_host);
# the checks use job_processes: this one counts a cron daemon as a job and misses
# `python -m app.jobs.run KEY`, the real platform's jobs.

_JOB_PROGRAMS = frozenset({
    "cron", "crond", "anacron", "atd", "supercronic", "celery", "arq", "rqworker", "rqscheduler",
    "huey_consumer", "huey_consumer.py", "dramatiq", "apscheduler",
})
_SCHEDULER_WORD = re.compile(r"(^|[._/-])(ap)?scheduler([._-]|$)")


def is_background_job(process: ProcessLike) -> bool:
    """Legacy: cron, celery, rq, arq, apscheduler and "scheduler" processes by program name."""
    if _is_web_server_process(process):
        return False
    words = _program_words(_argv(process.cmdline))
    if not words:
        return False
    if any(word in _JOB_PROGRAMS for word in words):
        return True
    if "rq" in words and any(word in ("worker", "scheduler") for word in _argv(process.cmdline)):
        return True
    return any(_SCHEDULER_WORD.search(word) for word in words)


def background_job_processes(processes: Iterable[P]) -> list[P]:
    """Legacy (see above); checks use job_processes."""
    return [process for process in processes if is_background_job(process)]
