"""Crontab files, read where cron reads them: on this machine, or inside a container.

Read-only: on the host the files are opened directly; in a container one
`docker exec <container> sh -c '... cat ...'` reads every configured path at once.
A path is a file, a folder (its files), or a pattern for the files in one folder
("/etc/cron.d/*"). What is there, what is not (fine), and what could not be read
(not fine: nobody can say it starts nothing) are kept apart.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from examday.probes.errors import ProbeError, Unreachable

GLOB_CHARACTERS = frozenset("*?[")


@dataclass(frozen=True)
class CrontabFile:
    path: str
    text: str = field(repr=False)


@dataclass(frozen=True)
class CrontabRead:
    """One configured path in one place, as found."""

    where: str  # "host" or the container's name
    pattern: str  # the configured path
    files: tuple[CrontabFile, ...] = ()
    missing: bool = False  # nothing at that path: no crontab there, which is fine
    errors: tuple[str, ...] = ()  # what could not be read, each naming its path and why
    skipped: tuple[str, ...] = ()  # sub-folders and dangling links: cron reads neither


def _split(pattern: str) -> tuple[str, str] | None:
    """(folder, name pattern) for a pattern over one folder's files; None for a plain path."""
    folder, _, name = pattern.rpartition("/")
    if GLOB_CHARACTERS & set(name):
        return folder or "/", name
    return None


# -- this machine ---------------------------------------------------------------------------

def read_host_crontabs(patterns: Iterable[str]) -> list[CrontabRead]:
    return [_read_host_pattern(pattern) for pattern in patterns]


def _read_host_pattern(pattern: str) -> CrontabRead:
    split = _split(pattern)
    if split is None:
        if not os.path.lexists(pattern):
            return CrontabRead("host", pattern, missing=True)
        if not os.path.isdir(pattern):
            return _host_files("host", pattern, [pattern])
        split = (pattern, "*")
    folder, name = split
    try:
        names = sorted(os.listdir(folder))
    except FileNotFoundError:
        return CrontabRead("host", pattern, missing=True)
    except OSError as error:
        return CrontabRead("host", pattern, errors=(f"{folder}: {_reason(error)}",))
    # The shell's glob leaves dot files out; so does cron (and so the container reader).
    paths = [os.path.join(folder, entry) for entry in names
             if fnmatch.fnmatchcase(entry, name) and not entry.startswith(".")]
    return _host_files("host", pattern, paths)


def _host_files(where: str, pattern: str, paths: Sequence[str]) -> CrontabRead:
    files, errors, skipped = [], [], []
    for path in paths:
        if os.path.isdir(path) or not os.path.exists(path):
            skipped.append(path)
            continue
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                files.append(CrontabFile(path, handle.read()))
        except OSError as error:
            errors.append(f"{path}: {_reason(error)}")
    return CrontabRead(where, pattern, files=tuple(files), errors=tuple(errors), skipped=tuple(skipped))


def _reason(error: OSError) -> str:
    if error.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return error.strerror or str(error)


# -- inside a container ------------------------------------------------------------------------

# $1: a marker no crontab holds; then the paths. Every line of output that is not a crontab's
# own starts with the marker. `cat` errors go to /dev/null: docker exec interleaves stderr.
_CONTAINER_SCRIPT = r"""
m=$1; shift
emit() {
  f=$1
  if [ -d "$f" ] || [ ! -e "$f" ]; then echo "$m skip $f"; return; fi
  if [ ! -r "$f" ]; then echo "$m error $f: permission denied"; return; fi
  echo "$m file $f"
  if cat -- "$f" 2>/dev/null; then echo; echo "$m end"; else echo; echo "$m error $f: could not be read"; fi
}
i=0
for p in "$@"; do
  echo "$m loc $i"; i=$((i+1))
  b=${p##*/}
  case $b in
    *[*?[]*) d=${p%/*} ;;
    *) if [ -d "$p" ]; then d=${p%/}; b='*'
       else
         if [ -e "$p" ] || [ -L "$p" ]; then emit "$p"; else echo "$m missing"; fi
         continue
       fi ;;
  esac
  if [ ! -e "${d:-/}" ]; then echo "$m missing"; continue; fi
  if [ ! -r "${d:-/}" ] || [ ! -x "${d:-/}" ]; then echo "$m error ${d:-/}: permission denied"; continue; fi
  for f in "$d"/$b; do
    if [ ! -e "$f" ] && [ ! -L "$f" ]; then continue; fi
    emit "$f"
  done
done
echo "$m done"
"""


def read_container_crontabs(docker: Any, container: str, patterns: Sequence[str],
                            timeout: float = 10.0) -> list[CrontabRead]:
    """Every path in one `docker exec`; a failed exec makes each path one error naming the container."""
    marker = f"@@examday-crontab-{uuid.uuid4().hex}"
    try:
        result = docker.exec(container, ["sh", "-c", _CONTAINER_SCRIPT, "examday-crontab", marker, *patterns],
                             timeout=timeout)
    except Unreachable:
        raise  # the engine itself is gone: the dependency's failure, not this location's
    except ProbeError as error:  # this container: not found, not running, hung
        return _all_failed(container, patterns, str(error))
    if result.exit_code != 0 or f"{marker} done" not in result.output:
        last = result.output.strip().splitlines()[-1:] or [f"exit code {result.exit_code}"]
        return _all_failed(container, patterns, last[0][:200])
    return parse_container_output(container, patterns, result.output, marker)


def _all_failed(container: str, patterns: Sequence[str], reason: str) -> list[CrontabRead]:
    return [CrontabRead(container, pattern, errors=(f"could not read in container {container}: {reason}",))
            for pattern in patterns]


@dataclass
class _Location:
    pattern: str
    files: list[CrontabFile] = field(default_factory=list)
    missing: bool = False
    errors: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def frozen(self, container: str) -> CrontabRead:
        return CrontabRead(container, self.pattern, tuple(self.files), self.missing, tuple(self.errors),
                           tuple(self.skipped))


def parse_container_output(container: str, patterns: Sequence[str], output: str, marker: str) -> list[CrontabRead]:
    """The script's output, back into one CrontabRead per configured path."""
    locations: list[_Location] = []
    reading: str | None = None  # the file whose text is coming
    body: list[str] = []
    prefix = marker + " "
    for line in output.split("\n"):
        if reading is not None and not line.startswith(prefix):
            body.append(line)
            continue
        if not line.startswith(prefix):
            continue  # not ours: a shell's complaint, say
        word, _, rest = line[len(prefix):].partition(" ")
        if word == "loc":
            locations.append(_Location(patterns[int(rest)]))
        elif not locations or word == "done":
            if word == "done":
                break
        elif word == "file":
            reading, body = rest, []
        elif word == "end" and reading is not None:
            # The script's own newline after each file makes these lines the file's split on "\n".
            locations[-1].files.append(CrontabFile(reading, "\n".join(body)))
            reading = None
        elif word == "error":
            reading = None  # a read that failed half-way: what came is not the file
            locations[-1].errors.append(rest)
        elif word == "missing":
            locations[-1].missing = True
        elif word == "skip":
            locations[-1].skipped.append(rest)
    return [location.frozen(container) for location in locations]
