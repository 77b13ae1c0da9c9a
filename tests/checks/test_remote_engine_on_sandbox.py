"""The pre-exam phase against the sandbox through `[docker] host = "ssh://..."` (a real sshd on loopback
in front of the same engine) gives the verdicts it gives through the local socket."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest

from examday.sandbox.rate_limits import forget_sign_in_limits
from tests.checks.runner import ChecklistRun, run_checklist, sandbox_config, verdict_of_run
from tests.fixtures.sshd import SshServer, client_home, sshd_factory  # noqa: F401 - a fixture

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]


def outcomes(run: ChecklistRun) -> dict[str, list[str]]:
    by_id: dict[str, list[str]] = defaultdict(list)
    for result in run.items:
        by_id[result.item_id].append(result.outcome)
    return {item_id: sorted(found) for item_id, found in by_id.items()}


def test_preexam_over_ssh_gives_the_verdicts_of_the_local_socket(
        preexam_sandbox, all_attested: Path, sshd_factory: Callable[..., SshServer], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    attested = ("--attestations", str(all_attested))
    forget_sign_in_limits(preexam_sandbox)
    local = run_checklist("preexam", tmp_path / "local", f"--target={sandbox_config(tmp_path / 'local')}", *attested)
    assert len(local.items) > 20 and verdict_of_run(local) != "?", local.stdout[-4000:]
    server = sshd_factory()
    forget_sign_in_limits(preexam_sandbox)
    monkeypatch.setenv("HOME", str(client_home(tmp_path / "home", server)))  # the run's ~/.ssh
    # The far end of the ssh engine is the local one: with DOCKER_HOST dead, anything of the phase
    # that reached an engine without [docker] host would fail its item.
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    over_ssh = sandbox_config(tmp_path / "ssh", docker={"host": server.url})
    remote = run_checklist("preexam", tmp_path / "ssh", f"--target={over_ssh}", *attested)
    assert "Accepted publickey for root" in server.log.read_text()  # it did go through sshd
    assert outcomes(remote) == outcomes(local), remote.stdout[-4000:]
    assert verdict_of_run(remote) == verdict_of_run(local)
