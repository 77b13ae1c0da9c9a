"""Listing a host's or a container's processes with nothing but sh: two scripts with one output
shape, and the parser that reads it. Shared by the host probe (testinfra) and the Docker probe
(its /proc fallback), so neither imports the other."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    ppid: int
    user: str
    cmdline: str


# Two ways to list processes, with one output shape: "#self PID", then
# "pid ppid uid cmdline" lines, then "#passwd" and /etc/passwd (to name the uids).
# The marker is in the command line of every process that carries the script (the
# shell, a `timeout` wrapper), so the listing leaves itself out, with the shell's children.
_LISTING_MARKER = "examday-proc-listing"
PS_FAILED = 97

PS_LISTING_SCRIPT = rf"""# {_LISTING_MARKER}
echo "#self $$"
ps -e -ww -o pid=,ppid=,uid=,args= 2>/dev/null || exit {PS_FAILED}
echo "#passwd"
cat /etc/passwd 2>/dev/null
exit 0
"""

# For images without `ps` (slim, distroless-ish): read /proc with sh and tr alone.
PROC_LISTING_SCRIPT = rf"""# {_LISTING_MARKER}
echo "#self $$"
for d in /proc/[0-9]*; do
  pid=${{d#/proc/}}
  {{ read -r stat < "$d/stat"; }} 2>/dev/null || continue
  rest=${{stat##*) }}
  set -- $rest
  ppid=$2
  uid=?
  {{ while read -r key value _; do
      if [ "$key" = "Uid:" ]; then uid=$value; break; fi
    done < "$d/status"; }} 2>/dev/null
  cmd=$(tr '\000\n' '  ' < "$d/cmdline" 2>/dev/null)
  if [ -z "$cmd" ]; then comm=${{stat#*(}}; cmd="[${{comm%)*}}]"; fi
  printf '%s %s %s %s\n' "$pid" "$ppid" "$uid" "$cmd"
done
echo "#passwd"
cat /etc/passwd 2>/dev/null
exit 0
"""


def parse_process_listing(output: str) -> list[ProcessInfo]:
    """Turn PS_LISTING_SCRIPT's or PROC_LISTING_SCRIPT's output into processes, minus the listing."""
    self_pid: int | None = None
    rows: list[tuple[int, int, str, str]] = []
    users: dict[str, str] = {}
    in_passwd = False
    for line in output.splitlines():
        fields = line.split(None, 3)
        if line.startswith("#self "):
            self_pid = int(fields[1])
        elif line == "#passwd":
            in_passwd = True
        elif in_passwd:
            entry = line.split(":")
            if len(entry) >= 3:
                users.setdefault(entry[2], entry[0])
        elif len(fields) >= 3 and fields[0].isdigit() and fields[1].isdigit():
            cmdline = fields[3].strip() if len(fields) == 4 else ""
            rows.append((int(fields[0]), int(fields[1]), fields[2], cmdline))
    return [
        ProcessInfo(pid=pid, ppid=ppid, user=users.get(uid, uid), cmdline=cmdline)
        for pid, ppid, uid, cmdline in rows
        if _LISTING_MARKER not in cmdline and self_pid not in (pid, ppid)
    ]
