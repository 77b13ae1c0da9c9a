"""`examday init` on the running sandbox (its compose file, its env file, its containers), completed
with exactly the keys init listed as not found (their values from the sandbox's own examday.toml),
runs the pre-exam phase GO: everything else the day before needs, init found."""

from __future__ import annotations

import pytest

from examday.config import load_config
from examday.probes.compose import read_env_file
from tests.checks.conftest import all_attested, preexam_sandbox  # noqa: F401 - fixtures
from tests.checks.runner import REPO, failed_ids, run_checklist, verdict_of_run
from tests.init.complete import complete, listed_not_found, sandbox_target
from tests.init.test_not_found import comparable
from tests.report.helpers import examday

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]
SANDBOX = REPO / "sandbox"
# Where the completed target may still differ from the sandbox's own, and why.
MAY_DIFFER = {"target.kind",  # init writes production, the strictest: a person says which it is
              "target.description", "exam.title",  # prose
              "docker.compose_env_files",  # init writes the env file it was given
              "logs.latency_fields",  # the field the sampled lines carry, not both
              "attestations.file"}  # the default beside the target (the run names its own)


def test_init_on_the_running_sandbox_completed_with_what_it_listed_runs_the_day_before_go(
        preexam_sandbox, all_attested, tmp_path):
    written = tmp_path / "written.toml"
    done = examday("init", str(SANDBOX / "docker-compose.yml"), "--env-file", str(SANDBOX / ".env"),
                   "-o", str(written))
    assert done.returncode == 0, done.stdout + done.stderr
    text = written.read_text()
    secrets = [v for v in read_env_file(SANDBOX / ".state" / "secrets.env").values() if len(v) >= 6]
    assert secrets and not [v for v in secrets if v in text]  # the env files' secrets stay out
    config = load_config(written)  # loads as written
    # what only the running stack says: its project, the proxy's program, the log format, the flag table
    assert config.docker.compose_project_name == "examday-sandbox"
    assert config.proxy.kind == "caddy" and "the running proxy runs caddy" in text
    assert config.logs.latency_fields == ["duration_ms"]
    assert "the database has the system_flags table" in text
    for entry in listed_not_found(text):  # the terminal lists what the file lists
        assert f"not found: set {' or '.join(' + '.join(keys) for keys in entry)} (" in done.stdout

    source = sandbox_target(tmp_path / "source")
    completed = tmp_path / "source" / "completed.toml"  # beside the source copy: the same default folders
    taken = complete(written, source, completed)
    assert {"api.base_url", "operator.username", "exam.window_file"} <= set(taken)
    ours, theirs = comparable(load_config(completed)), comparable(load_config(tmp_path / "source" / "examday.toml"))
    differ = {key for key in theirs if ours.get(key) != theirs[key]} - {"docker.containers"}
    assert differ <= MAY_DIFFER, {key: (ours.get(key), theirs[key]) for key in differ - MAY_DIFFER}
    run = run_checklist("preexam", tmp_path, f"--target={completed}", "--attestations", str(all_attested))
    assert failed_ids(run) == set(), run.stdout[-4000:]
    assert run.ids_with("skipped") == set(), run.stdout[-4000:]  # every item checked: nothing left unset
    assert verdict_of_run(run) == "GO" and run.exit_code == 0, run.stdout[-4000:]
