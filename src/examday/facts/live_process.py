"""What the live server process runs with: one env key from the uvicorn/gunicorn master.

`docker exec printenv` (the runbook's check) shows the container's configured
environment, which a process started earlier may not have. The master's
/proc/PID/environ is what the serving process really has. Only the one key
asked for leaves the container: the rest of that environment holds secrets.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Any

from examday.facts.ports import DockerReads

_SCRIPT = r"""
for d in /proc/[0-9]*; do
  cmd=$(tr '\0' ' ' 2>/dev/null < "$d/cmdline") || continue
  case "$cmd" in *uvicorn*|*gunicorn*) ;; *) continue ;; esac
  ppid=$(sed -n 's/^PPid:[[:space:]]*//p' "$d/status")
  parent=$(tr '\0' ' ' 2>/dev/null < "/proc/$ppid/cmdline")
  case "$parent" in *uvicorn*|*gunicorn*) continue ;; esac
  echo "master ${d#/proc/}"
  tr '\0' '\n' < "$d/environ" | grep -E "^$KEY=" || echo "unset"
  exit 0
done
echo "no-master"
"""


@dataclass(frozen=True)
class LiveEnvValue:
    master_pid: int | None  # inside the container's pid namespace
    value: str | None  # None: the key is not set in the master's environment

    def as_evidence(self) -> dict[str, Any]:
        return {"master_pid": self.master_pid, "value": self.value}


def master_env_value(docker: DockerReads, container: str, key: str) -> LiveEnvValue:
    """`key` as the web server's master process sees it (value must be on the allow-list to show)."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
        raise ValueError(f"not an environment variable name: {key!r}")
    result = docker.exec(container, ["sh", "-c", f"KEY={shlex.quote(key)}; {_SCRIPT}"], timeout=10)
    lines = result.output.strip().splitlines()
    if not lines or lines[0] == "no-master":
        return LiveEnvValue(None, None)
    pid = int(lines[0].split()[1])
    entry = lines[1] if len(lines) > 1 else "unset"
    return LiveEnvValue(pid, None if entry == "unset" else entry.split("=", 1)[1])
