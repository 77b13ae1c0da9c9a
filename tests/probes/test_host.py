"""HostProbe (testinfra) on the local host and inside real containers."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Any

import pytest

from examday.facts.processes import background_job_processes
from examday.probes.errors import ProbeTimeout, Unreachable
from examday.probes.host import HostProbe, parse_process_listing
from tests.fixtures.services import ContainerFactory, wait_until


@pytest.fixture(scope="module")
def container(run_container: ContainerFactory, base_image: str) -> Any:
    script = ("mkdir -p /backups && cd /backups && "
              "echo old > db-1.sql.gz && touch -d '2 days ago' db-1.sql.gz && "
              "echo newer-dump > db-2.sql.gz && touch -d '1 hour ago' db-2.sql.gz && "
              "echo note > README && exec sleep 300")
    started = run_container(base_image, ["sh", "-c", script], role="host")
    wait_until(lambda: started.exec_run(["test", "-e", "/backups/README"]).exit_code == 0, 10, "the files")
    return started


# -- local ----------------------------------------------------------------------------------

def test_local_file_info(tmp_path: Path) -> None:
    target = tmp_path / "examday.toml"
    target.write_bytes(b"[exam]\nid = 'x'\n")
    info = HostProbe("local://").file_info(str(target))
    assert info.exists and info.is_file
    assert info.size == target.stat().st_size
    assert info.sha256 == hashlib.sha256(target.read_bytes()).hexdigest()
    assert info.mtime is not None and abs(info.mtime.timestamp() - target.stat().st_mtime) < 2


def test_missing_file_is_a_fact_not_an_error(tmp_path: Path) -> None:
    info = HostProbe().file_info(str(tmp_path / "absent"))
    assert not info.exists and info.sha256 is None


def test_big_files_are_not_hashed(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(b"\0" * 2048)
    info = HostProbe(hash_limit_bytes=1024).file_info(str(big))
    assert info.size == 2048 and info.sha256 is None


def test_list_files_newest_first(tmp_path: Path) -> None:
    now = time.time()
    for name, age in [("a.dump", 3600), ("b.dump", 60), ("c.dump", 7200), ("notes.txt", 0)]:
        path = tmp_path / name
        path.write_text(name)
        os.utime(path, (now - age, now - age))
    (tmp_path / "dir.dump").mkdir()
    entries = HostProbe().list_files(str(tmp_path), "*.dump")
    assert [Path(entry.path).name for entry in entries] == ["b.dump", "a.dump", "c.dump"]
    assert entries[0].size == len("b.dump")


def test_list_files_with_no_match_is_empty(tmp_path: Path) -> None:
    assert HostProbe().list_files(str(tmp_path), "*.none") == []


def test_list_files_refuses_shell_in_the_pattern(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        HostProbe().list_files(str(tmp_path), "*; rm -rf /")


def test_local_processes_include_this_test() -> None:
    processes = HostProbe().processes()
    assert any(process.pid == os.getpid() for process in processes)


# -- in a container -------------------------------------------------------------------------

def test_file_info_in_a_container(container: Any) -> None:
    probe = HostProbe(f"docker://{container.name}")
    info = probe.file_info("/backups/db-2.sql.gz")
    assert info.exists and info.size == len("newer-dump\n")
    assert info.sha256 == hashlib.sha256(b"newer-dump\n").hexdigest()
    assert not probe.file_info("/backups/none").exists


def test_list_files_in_a_container(container: Any) -> None:
    entries = HostProbe(f"docker://{container.name}").list_files("/backups", "db-*.sql.gz")
    assert [entry.path for entry in entries] == ["/backups/db-2.sql.gz", "/backups/db-1.sql.gz"]
    assert entries[0].mtime > entries[1].mtime


def test_processes_in_a_container_without_ps(container: Any) -> None:
    processes = HostProbe(f"docker://{container.name}").processes()
    assert [(p.pid, p.cmdline) for p in processes] == [(1, "sleep 300")]
    assert processes[0].user == "root"


def test_processes_in_a_container_with_ps(run_container: ContainerFactory, procps_image: str) -> None:
    started = run_container(procps_image, ["bash", "-c", "(exec -a crond sleep 300) & exec sleep 301"], role="ps")
    wait_until(lambda: b"crond" in started.exec_run(["ps", "-eo", "args"]).output, 10, "crond")
    processes = HostProbe(f"docker://{started.name}").processes()
    assert [p.cmdline for p in background_job_processes(processes)] == ["crond 300"]


def test_a_hung_command_in_a_container_is_bounded(run_container: ContainerFactory, base_image: str) -> None:
    # A `ps` that never returns: the probe must give up, not hang the phase.
    script = "printf '#!/bin/sh\\nexec sleep 60\\n' > /usr/local/bin/ps && chmod +x /usr/local/bin/ps && exec sleep 300"
    started = run_container(base_image, ["sh", "-c", script], role="hung")
    wait_until(lambda: started.exec_run(["test", "-x", "/usr/local/bin/ps"]).exit_code == 0, 10, "the fake ps")
    probe = HostProbe(f"docker://{started.name}", timeout=2)
    began = time.monotonic()
    with pytest.raises(ProbeTimeout):
        probe.processes()
    assert time.monotonic() - began < 20


def test_a_hung_local_command_is_killed_at_the_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_ps = tmp_path / "ps"
    fake_ps.write_text("#!/bin/sh\nexec sleep 60\n")
    fake_ps.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    began = time.monotonic()
    with pytest.raises(ProbeTimeout):
        HostProbe("local://", timeout=1).processes()
    assert time.monotonic() - began < 10


def test_missing_container_is_unreachable() -> None:
    with pytest.raises(Unreachable, match="examday-test-does-not-exist"):
        HostProbe("docker://examday-test-does-not-exist", timeout=5).file_info("/etc/hostname")


def test_process_listing_parser_drops_itself_and_maps_users() -> None:
    output = ("#self 40\n"
              "    1     0     0 sleep 300\n"
              "    7     1  1000 python3 -m app.scheduler --every  5m\n"
              "    9     1  4242 [worker] <defunct>\n"
              "   40     0     0 sh -c # examday-proc-listing ...\n"
              "   41    40     0 ps -e -ww -o pid=,ppid=,uid=,args=\n"
              "#passwd\nroot:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/app:/bin/sh\n")
    processes = parse_process_listing(output)
    assert [(p.pid, p.ppid, p.user, p.cmdline) for p in processes] == [
        (1, 0, "root", "sleep 300"),
        (7, 1, "app", "python3 -m app.scheduler --every  5m"),
        (9, 1, "4242", "[worker] <defunct>"),
    ]
