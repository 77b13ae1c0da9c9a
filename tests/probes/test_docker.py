"""DockerProbe against the real engine, with throwaway examday-test-* containers."""

from __future__ import annotations

import http.client
import os
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from examday.facts.processes import background_job_processes, count_uvicorn_workers, uvicorn_trees
from examday.probes.docker import ContainerNotFound, DockerProbe
from examday.probes.docker_observations import cpu_percent, memory_usage
from examday.probes.errors import BadResponse, ProbeTimeout, Unreachable
from tests.fixtures.services import BlackHole, ContainerFactory, wait_until

MiB = 1024 * 1024

# A real `docker stats` payload from this engine (cgroup v1), trimmed to what the formulas read.
CGROUP_V1_STATS: dict[str, Any] = {
    "cpu_stats": {"cpu_usage": {"total_usage": 1668993820, "percpu_usage": [1126225618, 542768202]},
                  "system_cpu_usage": 1463040000000, "online_cpus": 2},
    "precpu_stats": {"cpu_usage": {"total_usage": 1161071860, "percpu_usage": [1126225618, 34846242]},
                     "system_cpu_usage": 1461020000000, "online_cpus": 2},
    "memory_stats": {"usage": 2904064, "limit": 67108864,
                     "stats": {"cache": 2134016, "total_inactive_file": 2080768, "inactive_file": 2080768}},
}

# The cgroup v2 shape: no percpu_usage, inactive_file instead of total_inactive_file.
CGROUP_V2_STATS: dict[str, Any] = {
    "cpu_stats": {"cpu_usage": {"total_usage": 3_000_000_000}, "system_cpu_usage": 40_000_000_000,
                  "online_cpus": 4},
    "precpu_stats": {"cpu_usage": {"total_usage": 1_000_000_000}, "system_cpu_usage": 36_000_000_000,
                     "online_cpus": 4},
    "memory_stats": {"usage": 500 * MiB, "limit": 1024 * MiB, "stats": {"inactive_file": 100 * MiB, "anon": 300 * MiB}},
}

FAKE_UVICORN = """#!/usr/bin/python3
# Stands in for uvicorn --workers N: a master that starts N workers with multiprocessing spawn.
import multiprocessing, sys, time

def serve():
    time.sleep(3600)

if __name__ == "__main__":
    workers = int(sys.argv[sys.argv.index("--workers") + 1])
    context = multiprocessing.get_context("spawn")
    children = [context.Process(target=serve) for _ in range(workers)]
    for child in children:
        child.start()
    for child in children:
        child.join()
"""


@pytest.fixture(scope="module")
def probe(docker_client: Any) -> Iterator[DockerProbe]:
    opened = DockerProbe(timeout=10)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def service_label() -> str:
    return f"probe-backend-{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def facts_container(run_container: ContainerFactory, base_image: str, service_label: str) -> Any:
    container = run_container(
        base_image, ["sleep", "300"], role="facts",
        mem_limit="64m", nano_cpus=500_000_000,
        environment={"EXAM_MODE": "true", "DATABASE_URL": "postgresql://u:secret@db/x"},
        labels={"com.docker.compose.service": service_label},
        log_config={"type": "json-file", "config": {"max-size": "1m", "max-file": "2"}},
        healthcheck={"test": ["CMD", "true"], "interval": 300_000_000, "timeout": 2_000_000_000, "retries": 1},
    )
    wait_until(lambda: _health(container) == "healthy", 20, "the healthcheck to pass")
    return container


def _health(container: Any) -> str | None:
    container.reload()
    return (container.attrs["State"].get("Health") or {}).get("Status")


@pytest.fixture(scope="module")
def uvicorn_container(run_container: ContainerFactory, procps_image: str) -> Any:
    script = f"cat > /usr/local/bin/uvicorn <<'EOF'\n{FAKE_UVICORN}EOF\n" \
             "chmod +x /usr/local/bin/uvicorn\n" \
             "exec /usr/local/bin/uvicorn app.main:app --host 0.0.0.0 --port 8000 --workers 3\n"
    container = run_container(procps_image, ["bash", "-c", script], role="uvicorn")
    # cron runs beside the app, not under it: an exec'd process is no child of the master.
    container.exec_run(["bash", "-c", "exec -a crond sleep 1000"], detach=True)
    probe = DockerProbe(timeout=10)
    wait_until(lambda: count_uvicorn_workers(probe.processes(container.name)) == 3
               and background_job_processes(probe.processes(container.name)) != [], 30,
               "three spawn workers and a crond")
    return container


# -- container facts -----------------------------------------------------------------------

def test_container_facts(probe: DockerProbe, facts_container: Any, base_image: str) -> None:
    observed = probe.container(facts_container.name)
    assert observed.name == facts_container.name
    assert observed.id == facts_container.id
    assert observed.image == base_image
    assert observed.image_id.startswith("sha256:")
    assert observed.status == "running" and observed.is_running
    assert observed.health == "healthy"
    assert observed.exit_code is None
    assert observed.started_at is not None and observed.started_at.tzinfo is not None
    assert observed.mem_limit_bytes == 64 * MiB
    assert observed.cpus == pytest.approx(0.5)
    assert observed.log_driver == "json-file"
    assert observed.log_opts == {"max-size": "1m", "max-file": "2"}
    assert observed.env["EXAM_MODE"] == "true"
    assert "secret" not in repr(observed)  # env stays out of reprs; callers redact the rest


def test_restart_count_exit_code_and_cpu_quota(probe: DockerProbe, run_container: ContainerFactory,
                                               base_image: str) -> None:
    container = run_container(base_image, ["sh", "-c", "exit 3"], role="crash",
                              restart_policy={"Name": "on-failure", "MaximumRetryCount": 2},
                              cpu_period=100_000, cpu_quota=150_000)
    wait_until(lambda: (obs := probe.container(container.name)).status == "exited" and obs.restart_count == 2,
               30, "two restarts")
    observed = probe.container(container.name)
    assert observed.exit_code == 3
    assert observed.health is None
    assert observed.cpus == pytest.approx(1.5)
    assert observed.mem_limit_bytes is None


def test_missing_container_is_its_own_error(probe: DockerProbe) -> None:
    with pytest.raises(ContainerNotFound):
        probe.container("examday-test-no-such-container")


def test_find_by_name_then_by_compose_service_label(probe: DockerProbe, facts_container: Any,
                                                    service_label: str) -> None:
    assert probe.find(facts_container.name).id == facts_container.id  # type: ignore[union-attr]
    assert probe.find(service_label).id == facts_container.id  # type: ignore[union-attr]
    assert [obs.id for obs in probe.containers_by_label("com.docker.compose.service", service_label)] == [
        facts_container.id]
    assert probe.find("examday-test-nobody-has-this") is None


def test_find_refuses_to_guess_between_two_running_containers(
        probe: DockerProbe, run_container: ContainerFactory, base_image: str) -> None:
    service = f"twin-{uuid.uuid4().hex[:6]}"
    for _ in range(2):
        run_container(base_image, ["sleep", "300"], role="twin", labels={"com.docker.compose.service": service})
    with pytest.raises(BadResponse, match="ambiguous"):
        probe.find(service)


# -- exec ---------------------------------------------------------------------------------

def test_exec_returns_exit_code_and_output(probe: DockerProbe, facts_container: Any) -> None:
    exit_code, output = probe.exec(facts_container.name, ["sh", "-c", "echo out; echo err >&2; exit 3"], timeout=5)
    assert exit_code == 3
    assert sorted(output.splitlines()) == ["err", "out"]  # two pipes: no order between them
    assert probe.exec(facts_container.name, ["printenv", "EXAM_MODE"]).output == "true\n"


def test_exec_output_the_http_reader_already_buffered_is_kept(probe: DockerProbe, facts_container: Any,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """docker-py hands back the raw socket under http.client's buffered reader, which may already
    hold the output's first frames when the engine wrote them with its 101 headers (docker-py
    #3332): a busy client lost a whole INFO reply that way. Reading the headers late forces it."""
    read_headers = http.client.HTTPResponse.begin

    def late_begin(response: http.client.HTTPResponse) -> None:
        time.sleep(0.5)  # the command has printed and exited by now
        read_headers(response)

    monkeypatch.setattr(http.client.HTTPResponse, "begin", late_begin)
    for _ in range(3):
        assert probe.exec(facts_container.name, ["echo", "hello"], timeout=5).output == "hello\n"


def test_exec_is_bounded(probe: DockerProbe, facts_container: Any) -> None:
    started = time.monotonic()
    with pytest.raises(ProbeTimeout, match="sleep 30"):
        probe.exec(facts_container.name, ["sleep", "30"], timeout=1)
    assert time.monotonic() - started < 10


def test_exec_is_bounded_even_without_a_timeout_binary(probe: DockerProbe, run_container: ContainerFactory,
                                                       base_image: str) -> None:
    container = run_container(base_image, ["sh", "-c", "rm -f /usr/bin/timeout; exec sleep 300"], role="notimeout")
    wait_until(lambda: container.exec_run(["test", "-e", "/usr/bin/timeout"]).exit_code == 1, 10, "rm")
    assert probe.exec(container.name, ["echo", "hi"]).output == "hi\n"
    started = time.monotonic()
    with pytest.raises(ProbeTimeout):
        probe.exec(container.name, ["sleep", "30"], timeout=1)
    assert time.monotonic() - started < 10


# -- processes ----------------------------------------------------------------------------

def test_processes_show_the_spawn_worker_tree(probe: DockerProbe, uvicorn_container: Any) -> None:
    processes = probe.processes(uvicorn_container.name)
    (tree,) = uvicorn_trees(processes)
    assert len(tree.worker_pids) == 3
    by_pid = {p.pid: p for p in processes}
    assert "uvicorn" in by_pid[tree.master_pid].cmdline
    assert all("spawn_main" in by_pid[pid].cmdline for pid in tree.worker_pids)
    assert any("resource_tracker" in p.cmdline for p in processes)  # present, and not counted
    assert [p.cmdline for p in background_job_processes(processes)] == ["crond 1000"]
    assert all(p.user == "root" for p in processes)


def test_processes_from_proc_agree_with_top(probe: DockerProbe, uvicorn_container: Any) -> None:
    from_proc = probe.processes_from_proc(uvicorn_container.name)
    assert count_uvicorn_workers(from_proc) == 3
    assert [p.cmdline for p in background_job_processes(from_proc)] == ["crond 1000"]
    assert not any("/proc/" in p.cmdline for p in from_proc)  # the listing script leaves itself out
    assert {p.user for p in from_proc} == {"root"}


# -- stats --------------------------------------------------------------------------------

def test_cpu_formula_on_captured_cgroup_v1_stats() -> None:
    expected = (1668993820 - 1161071860) / (1463040000000 - 1461020000000) * 2 * 100
    assert cpu_percent(CGROUP_V1_STATS) == pytest.approx(expected)
    assert cpu_percent(CGROUP_V1_STATS) == pytest.approx(50.29, abs=0.01)
    assert memory_usage(CGROUP_V1_STATS) == (2904064 - 2080768, 67108864)


def test_cpu_formula_on_cgroup_v2_stats() -> None:
    assert cpu_percent(CGROUP_V2_STATS) == pytest.approx(2 / 4 * 4 * 100)
    assert memory_usage(CGROUP_V2_STATS) == (400 * MiB, 1024 * MiB)


def test_online_cpus_falls_back_to_the_percpu_list() -> None:
    stats = {**CGROUP_V1_STATS, "cpu_stats": {**CGROUP_V1_STATS["cpu_stats"], "online_cpus": 0}}
    assert cpu_percent(stats) == pytest.approx(cpu_percent(CGROUP_V1_STATS))


def test_first_sample_without_precpu_is_zero_not_a_crash() -> None:
    assert cpu_percent({"cpu_stats": CGROUP_V1_STATS["cpu_stats"], "precpu_stats": {}}) == pytest.approx(
        1668993820 / 1463040000000 * 200)
    assert cpu_percent({}) == 0.0
    assert memory_usage({}) == (0, 0)


def test_stats_of_a_busy_limited_container(probe: DockerProbe, run_container: ContainerFactory,
                                           base_image: str) -> None:
    container = run_container(base_image, ["sh", "-c", "while :; do :; done"], role="busy",
                              nano_cpus=500_000_000, mem_limit="64m")
    observed = probe.stats(container.name)  # one sample: the engine measures for about a second
    assert 0 < observed.cpu_percent <= 100 * (os.cpu_count() or 1)
    assert observed.memory_limit_bytes == 64 * MiB
    assert 0 < observed.memory_used_bytes < 64 * MiB
    assert 0 < observed.memory_percent < 100
    assert observed.pids == 1


# -- logs ---------------------------------------------------------------------------------

def test_logs_stream_decoded_lines(probe: DockerProbe, run_container: ContainerFactory, base_image: str) -> None:
    script = 'for i in 1 2 3 4 5; do echo "line $i"; done; sleep 0.2; echo oops >&2; sleep 0.2; ' \
             'printf "\\377bad\\n"; exec sleep 300'
    container = run_container(base_image, ["sh", "-c", script], role="logs")
    wait_until(lambda: b"bad" in container.logs(), 10, "the log lines")
    stream = probe.logs(container.name)
    assert isinstance(stream, Iterator)
    assert list(stream) == ["line 1", "line 2", "line 3", "line 4", "line 5", "oops", "\ufffdbad"]
    assert list(probe.logs(container.name, tail=2)) == ["oops", "\ufffdbad"]
    assert list(probe.logs(container.name, since=datetime.now(timezone.utc) + timedelta(hours=1))) == []


# -- images -------------------------------------------------------------------------------

def test_images_present_locally(probe: DockerProbe, base_image: str) -> None:
    assert probe.image_present(base_image)
    assert not probe.image_present("examday-test/absent:never")
    images = probe.images_for_repository("examday-sandbox/base")
    assert any(base_image in image.tags for image in images)
    assert all(image.id.startswith("sha256:") for image in images)
    assert probe.images_for_repository("examday-test/absent") == []


# -- a dead or hung engine ----------------------------------------------------------------

def test_missing_socket_is_unreachable_fast() -> None:
    probe = DockerProbe(base_url="unix:///nonexistent/examday/docker.sock", timeout=2)
    started = time.monotonic()
    with pytest.raises(Unreachable) as raised:
        probe.container("anything")
    assert raised.value.dependency == "docker"
    assert time.monotonic() - started < 5


def test_silent_engine_times_out_within_the_bound(tcp_black_hole: BlackHole) -> None:
    probe = DockerProbe(base_url=f"tcp://{tcp_black_hole.host}:{tcp_black_hole.port}", timeout=1)
    started = time.monotonic()
    with pytest.raises(ProbeTimeout) as raised:
        probe.container("anything")
    assert raised.value.dependency == "docker"
    assert time.monotonic() - started < 8
