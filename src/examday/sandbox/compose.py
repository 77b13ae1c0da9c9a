"""Running `docker compose` (v2 plugin) or `docker-compose` (v1) on the sandbox."""

from __future__ import annotations

import functools
import os
import resource
import shutil
import subprocess

from examday.sandbox.errors import SandboxError
from examday.sandbox.layout import PROJECT_NAME, SandboxPaths
from examday.sandbox.state import read_env_file


@functools.lru_cache(maxsize=1)
def compose_command() -> tuple[str, ...]:
    """The compose CLI this host has: v2 when the plugin answers, else v1."""
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=20)
        if probe.returncode == 0:
            return ("docker", "compose")
    if shutil.which("docker-compose"):
        return ("docker-compose",)
    raise SandboxError(
        "neither `docker compose` nor `docker-compose` is installed",
        "run `make setup` (installs Debian's docker-compose) or install the compose plugin",
    )


def host_defaults() -> dict[str, str]:
    """Compose variables that depend on this host."""
    # A container may not raise its open-files limit above the host's hard limit.
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nofile = 65535 if hard == resource.RLIM_INFINITY else min(65535, hard)
    return {"EXAMDAY_BACKEND_NOFILE": str(nofile)}


class Compose:
    """The sandbox's compose project: fixed project name, file and environment."""

    def __init__(self, paths: SandboxPaths) -> None:
        self.paths = paths
        # The caller's environment wins (port overrides), then the sandbox's saved variables.
        self.env = {**host_defaults(), **read_env_file(paths.compose_env), **os.environ}

    def argv(self, *args: str) -> list[str]:
        faulted = self.paths.faulted_compose_file
        compose_file = faulted if faulted.exists() else self.paths.compose_file
        return [*compose_command(), "-p", PROJECT_NAME, "-f", str(compose_file),
                "--project-directory", str(self.paths.root), *args]

    def run(self, *args: str, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess[str]:
        try:
            result = subprocess.run(
                self.argv(*args), capture_output=True, text=True, env=self.env,
                timeout=timeout, cwd=self.paths.root,
            )
        except subprocess.TimeoutExpired as exc:
            raise SandboxError(f"`compose {' '.join(args)}` did not finish within {timeout:.0f} s",
                               "see `examday sandbox logs` and `docker info`") from exc
        if check and result.returncode != 0:
            raise SandboxError(
                f"`compose {' '.join(args)}` failed:\n    "
                + "\n    ".join(result.stderr.strip().splitlines()[-8:]),
                "read the lines above; `examday sandbox down` cleans up a half-started stack",
            )
        return result

    def up(self, *services: str, recreate: bool = False, profiles: tuple[str, ...] = ()) -> None:
        flags = ["--force-recreate"] if recreate else []
        profile_args = [arg for p in profiles for arg in ("--profile", p)]
        # --remove-orphans only on a whole-stack up: a partial one must not touch others.
        orphans = [] if services else ["--remove-orphans"]
        self.run(*profile_args, "up", "-d", "--no-build", *orphans, *flags, *services)

    def down(self, volumes: bool = False) -> None:
        # every profile, so optional services (simulated students) go too
        self.run("--profile", "during", "--profile", "staging", "down", "--remove-orphans",
                 *(["-v"] if volumes else []), timeout=180)

    def stop(self, *services: str) -> None:
        self.run("stop", "-t", "10", *services)

    def start(self, *services: str) -> None:
        self.run("start", *services)

    def logs_argv(self, service: str | None, tail: int, follow: bool) -> list[str]:
        args = ["logs", "--no-color", f"--tail={tail}"] + (["-f"] if follow else [])
        return self.argv(*args, *([service] if service else []))
