"""Capacity arithmetic and process-tree reading, on docs/platform.md's own numbers and ps output."""

from __future__ import annotations

import pytest

from examday.facts.capacity import assess_capacity, connection_capacity, pool_usage
from examday.facts.processes import background_job_processes, count_serving_processes, count_uvicorn_workers, is_background_job, uvicorn_trees
from examday.probes.host import ProcessInfo

SPAWN = ("python3 -c from multiprocessing.spawn import spawn_main; "
         "spawn_main(tracker_fd=5, pipe_handle={fd}) --multiprocessing-fork")
TRACKER = "python3 -c from multiprocessing.resource_tracker import main;main(4)"


def proc(pid: int, ppid: int, cmdline: str, user: str = "app") -> ProcessInfo:
    return ProcessInfo(pid=pid, ppid=ppid, user=user, cmdline=cmdline)


def platform_backend_processes(workers: int = 5) -> list[ProcessInfo]:
    """What `ps -eo pid,ppid,user,args` shows in exam_platform_backend (docs/platform.md)."""
    master = proc(1, 0, "/usr/local/bin/python /usr/local/bin/uvicorn app.main:app --host 0.0.0.0 --port 8000"
                        " --workers 5 --limit-concurrency 200 --limit-max-requests 10000 --timeout-keep-alive 5")
    tracker = proc(7, 1, TRACKER)
    spawned = [proc(10 + n, 1, SPAWN.format(fd=9 + n)) for n in range(workers)]
    return [master, tracker, *spawned]


def test_platform_capacity_is_five_workers_times_twenty() -> None:
    assert connection_capacity(workers=5, pool_size=10, max_overflow=10) == 100


def test_a_hundred_connections_do_not_fit_max_connections_100_with_headroom() -> None:
    assessment = assess_capacity(capacity=100, max_connections=100, reserved=3, headroom=0.1)
    assert not assessment.fits
    assert assessment.usable == 97
    assert assessment.allowed == 87
    assert assessment.margin == -13


def test_no_headroom_still_loses_the_reserved_slots() -> None:
    assert not assess_capacity(capacity=100, max_connections=100, reserved=3, headroom=0).fits
    assert assess_capacity(capacity=97, max_connections=100, reserved=3, headroom=0).margin == 0


def test_one_worker_fits_comfortably() -> None:
    assessment = assess_capacity(connection_capacity(1, 10, 10), max_connections=100)
    assert assessment.fits and assessment.margin == 67


def test_headroom_must_be_a_fraction() -> None:
    with pytest.raises(ValueError):
        assess_capacity(10, 100, headroom=1.5)


def test_pool_usage_is_measured_against_the_app_pool_not_max_connections() -> None:
    assert pool_usage(app_connections=80, capacity=100) == pytest.approx(0.8)
    assert pool_usage(app_connections=16, capacity=20) == pytest.approx(0.8)
    with pytest.raises(ValueError):
        pool_usage(1, 0)


def test_spawn_workers_are_counted_as_children_of_the_master() -> None:
    processes = platform_backend_processes(workers=5)
    assert count_uvicorn_workers(processes) == 5
    # The runbook's `ps aux | grep uvicorn | wc -l` would have seen one line.
    assert sum("uvicorn" in p.cmdline for p in processes) == 1


def test_resource_tracker_is_not_a_worker() -> None:
    (tree,) = uvicorn_trees(platform_backend_processes(workers=2))
    assert tree.master_pid == 1
    assert 7 not in tree.worker_pids
    assert len(tree.worker_pids) == 2


def test_a_shell_wrapper_around_uvicorn_is_not_the_master() -> None:
    processes = [
        proc(1, 0, "/bin/sh -c uvicorn app.main:app --workers 3"),
        proc(6, 1, "/usr/local/bin/python /usr/local/bin/uvicorn app.main:app --workers 3"),
        proc(8, 6, TRACKER),
        *(proc(10 + n, 6, SPAWN.format(fd=9 + n)) for n in range(3)),
    ]
    assert [tree.master_pid for tree in uvicorn_trees(processes)] == [6]
    assert count_uvicorn_workers(processes) == 3


def test_forked_workers_that_look_like_uvicorn_are_still_workers() -> None:
    processes = [proc(1, 0, "python -m uvicorn app.main:app --workers 2"),
                 proc(2, 1, "python -m uvicorn app.main:app --workers 2"),
                 proc(3, 1, "python -m uvicorn app.main:app --workers 2")]
    assert count_uvicorn_workers(processes) == 2


def test_no_uvicorn_means_no_workers() -> None:
    assert count_uvicorn_workers([proc(1, 0, "sleep infinity")]) == 0
    assert count_serving_processes([proc(1, 0, "sleep infinity")]) == 0


def test_a_master_serving_on_its_own_holds_one_pool() -> None:
    """`--workers 1`: uvicorn runs no supervisor, the one process serves (and holds one pool)."""
    alone = [proc(1, 0, "uvicorn app.main:app --host 0.0.0.0 --workers 1")]
    assert count_uvicorn_workers(alone) == 0 and count_serving_processes(alone) == 1
    supervised = [proc(1, 0, "uvicorn app.main:app --workers 2"),
                  proc(2, 1, "python -c from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=5)"),
                  proc(3, 1, "python -c from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=5)")]
    assert count_serving_processes(supervised) == 2


@pytest.mark.parametrize("cmdline", [
    "/usr/sbin/cron -f",
    "crond -f -l 8",
    "/usr/local/bin/python /usr/local/bin/celery -A app.worker worker --loglevel=info",
    "python -m celery -A app beat",
    "rq worker high default",
    "/usr/local/bin/python /usr/local/bin/rq worker",
    "arq app.jobs.WorkerSettings",
    "python -m app.scheduler",
    "python3 /srv/scheduler.py",
    "python -m apscheduler",
    "supercronic /etc/crontab",
])
def test_background_jobs_are_recognised(cmdline: str) -> None:
    assert is_background_job(proc(5, 1, cmdline))


@pytest.mark.parametrize("cmdline", [
    "/usr/local/bin/python /usr/local/bin/uvicorn app.main:app --workers 5",
    SPAWN.format(fd=7),
    TRACKER,
    "gunicorn: master [app.main:app]",
    "/usr/local/bin/python /usr/local/bin/gunicorn -k uvicorn.workers.UvicornWorker app.main:app",
    "sleep 300",
    "ps -eo pid,ppid,user,args",
])
def test_web_servers_and_their_workers_are_never_background_jobs(cmdline: str) -> None:
    assert not is_background_job(proc(5, 1, cmdline))


def test_background_job_processes_picks_only_the_jobs() -> None:
    processes = [*platform_backend_processes(workers=5), proc(40, 1, "crond -f"),
                 proc(41, 1, "celery -A app worker")]
    assert [p.pid for p in background_job_processes(processes)] == [40, 41]
