"""A file the stack mounts that the engine made into a folder: `up` mounts the file again.

What a fresh clone met on a used machine (stop 26's CI, before any test ran): at its own start the
engine restarted the last run's containers (restart: unless-stopped) before the checkout had its
state, and made empty folders where the Caddyfile and the crontab are mounted. `up` then died
reading the Caddyfile ("Is a directory"); a crontab folder would have left cron with no jobs. The
fresh clone has no env files either, and compose refuses to run without them: the containers
holding the folders must go without compose.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from examday.sandbox.lifecycle import Sandbox
from examday.sandbox.startup import sandbox_up

pytestmark = pytest.mark.sandbox


def compose_env_files(sandbox: Sandbox) -> list[Path]:
    paths = sandbox.paths
    return [paths.secrets_env, paths.platform_env, paths.sandbox_faults_env, paths.staging_env,
            paths.staging_secrets_env]


def test_a_mounted_file_made_into_a_folder_by_the_engine_is_written_and_mounted(sandbox: Sandbox, tmp_path: Path):
    files = {"proxy": sandbox.paths.caddyfile, "ops": sandbox.paths.crontab}
    kept = {path: path.read_text() for path in files.values()}
    reports: list[str] = []
    try:
        for path in files.values():
            path.unlink()
        # The engine starting these containers without their files, as at its own start (the
        # proxy then fails to start: its image has a file where the folder would be mounted).
        sandbox.compose.run("up", "-d", "--no-build", "--no-deps", "--force-recreate", *files, check=False)
        assert all(path.is_dir() for path in files.values())  # the premise: what the engine does

        for path in compose_env_files(sandbox):
            shutil.move(path, tmp_path / path.name)
        try:  # as on a fresh clone: compose cannot run
            Sandbox(sandbox.paths, reports.append).reclaim_file_mounts_made_into_folders(sandbox.platform())
        finally:
            for path in compose_env_files(sandbox):
                shutil.move(tmp_path / path.name, path)
        assert not any(path.exists() for path in files.values())
        assert {service: sandbox.platform().state(service).status for service in files} == {
            "proxy": "missing", "ops": "missing"}

        sandbox_up(Sandbox(sandbox.paths, reports.append))

        assert any("a folder the engine made where a file is mounted: removed" in line for line in reports)
        for path in files.values():
            assert path.read_text() == kept[path]
        platform = sandbox.platform()
        for service, mounted in (("proxy", "/etc/caddy/Caddyfile"), ("ops", "/etc/cron.d/exam-platform")):
            code, output = platform.exec(service, ["test", "-f", mounted])
            assert code == 0, f"{service} still mounts a folder at {mounted}: {output}"
    finally:  # the sandbox as the next test expects it, even after a failure
        left = [path for path in files.values() if not path.is_file()]
        for path in left:
            if path.is_dir():
                path.rmdir()
            path.write_text(kept[path])
        if left:
            sandbox.compose.run("up", "-d", "--no-build", "--no-deps", "--force-recreate", *files)
