"""Crontab files read as cron lines (system and user formats), and which lines start a job."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from examday.probes.crontab import CrontabRead

CrontabFormat = Literal["system", "user"]

# Where a cron daemon found running in a container reads its crontabs (Debian, RHEL, busybox).
DAEMON_CRONTABS = ("/etc/crontab", "/etc/cron.d/*", "/var/spool/cron/crontabs/*", "/var/spool/cron/*",
                   "/etc/crontabs/*")
_USER_CRONTAB_FOLDERS = ("/var/spool/cron/", "/etc/crontabs/")
_SPECIAL_SCHEDULES = frozenset({"@reboot", "@yearly", "@annually", "@monthly", "@weekly", "@daily",
                                "@midnight", "@hourly"})
_ENV_LINE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\s*=")


# Numbers, ranges, steps, lists, names (JAN, MON) and Quartz-style ? L W #; cronie's leading "-" too.
_TIME_FIELD = re.compile(r"-?(?:[0-9*?LW#/,-]|[A-Za-z]{3})+")
_UNESCAPED_PERCENT = re.compile(r"(?<!\\)%")


# Names cron skips in a folder of crontabs: hidden, editor and package-manager leftovers.
_SKIPPED_NAME = re.compile(r"^[.#]|~$|\.(dpkg-(old|dist|new|tmp)|rpm(save|orig|new)|swp)$")


@dataclass(frozen=True)
class CronLine:
    line_no: int
    text: str
    kind: Literal["entry", "comment", "malformed"]
    schedule: str | None = None  # "0 2 * * *" or "@daily"
    user: str | None = None  # system crontabs only
    command: str | None = None  # what cron runs (before an unescaped %, which starts its stdin)
    reason: str = ""  # why a line is malformed


def crontab_format(path: str) -> CrontabFormat:
    """User crontabs (no user field) live under /var/spool/cron and /etc/crontabs; the rest are
    system crontabs (/etc/crontab, /etc/cron.d/*), whose lines name the user."""
    return "user" if path.startswith(_USER_CRONTAB_FOLDERS) else "system"


def parse_crontab(text: str, fmt: CrontabFormat) -> list[CronLine]:
    """Entries, comments and malformed lines; blank lines and env assignments (MAILTO=...) left out."""
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or _ENV_LINE.match(line):
            continue
        if line.startswith("#"):
            lines.append(CronLine(number, line, "comment"))
            continue
        lines.append(_parse_entry(number, line, fmt))
    return lines


def _parse_entry(number: int, line: str, fmt: CrontabFormat) -> CronLine:
    user_fields = 1 if fmt == "system" else 0
    if line.startswith("@"):
        parts = line.split(None, 1 + user_fields)
        if parts[0] not in _SPECIAL_SCHEDULES:
            return CronLine(number, line, "malformed", reason=f"unknown schedule {parts[0]}")
        schedule_fields = 1
    else:
        parts = line.split(None, 5 + user_fields)
        schedule_fields = 5
        if len(parts) < 5 or not all(_TIME_FIELD.fullmatch(word) for word in parts[:5]):
            return CronLine(number, line, "malformed", reason="not five time fields")
    if len(parts) < schedule_fields + user_fields + 1:
        return CronLine(number, line, "malformed", reason="no command" + (" or no user" if user_fields else ""))
    schedule = " ".join(parts[:schedule_fields])
    user = parts[schedule_fields] if user_fields else None
    command = _UNESCAPED_PERCENT.split(parts[-1], maxsplit=1)[0].strip()
    return CronLine(number, line, "entry", schedule=schedule, user=user, command=command)


@dataclass(frozen=True)
class CronEntry:
    where: str  # "host" or a container's name
    path: str
    line_no: int
    schedule: str
    user: str | None
    command: str

    def describe(self) -> str:
        who = f" {self.user}" if self.user else ""
        return f"{self.where}:{self.path}:{self.line_no}: {self.schedule}{who} {self.command}"


@dataclass(frozen=True)
class CrontabSource:
    """What one configured place gave, and how its lines are written."""

    read: CrontabRead
    format: Literal["auto", "system", "user"] = "auto"
    found_because: str = ""  # "configured", or the cron daemon that made examday look there


@dataclass(frozen=True)
class CrontabSurvey:
    job_entries: tuple[CronEntry, ...]  # active entries that start a job
    other_entries: tuple[CronEntry, ...]  # active entries that start something else
    disabled_job_lines: tuple[str, ...]  # commented-out lines that would start a job
    files_read: tuple[str, ...]
    missing: tuple[str, ...]  # nothing there: fine
    unreadable: tuple[str, ...]  # could not be read: nobody can say it starts nothing
    notes: tuple[str, ...] = ()

    @property
    def readable(self) -> bool:
        return not self.unreadable

    def as_evidence(self) -> dict[str, Any]:
        return {
            "job_entries": [entry.describe() for entry in self.job_entries],
            "other_entries": [entry.describe() for entry in self.other_entries][:20],
            "disabled_job_lines": list(self.disabled_job_lines)[:20],
            "crontabs_read": list(self.files_read),
            "not_there": list(self.missing),
            "unreadable": list(self.unreadable),
            "notes": list(self.notes),
        }

    def entries_problem(self) -> str | None:
        if not self.job_entries:
            return None
        shown = "; ".join(entry.describe() for entry in self.job_entries[:5])
        more = f" (and {len(self.job_entries) - 5} more)" if len(self.job_entries) > 5 else ""
        return f"crontab entries still start jobs: {shown}{more}"

    def unreadable_problem(self) -> str | None:
        if not self.unreadable:
            return None
        return ("crontabs could not be read, so nobody can say they start no job: "
                + "; ".join(self.unreadable))


def survey_crontabs(sources: Iterable[CrontabSource], patterns: Sequence[re.Pattern[str]]) -> CrontabSurvey:
    jobs: list[CronEntry] = []
    others: list[CronEntry] = []
    disabled: list[str] = []
    files: list[str] = []
    missing: list[str] = []
    unreadable: list[str] = []
    notes: list[str] = []
    seen: set[tuple[str, str]] = set()  # a file two configured paths both reach is read once
    for source in sources:
        read = source.read
        because = f" ({source.found_because})" if source.found_because else ""
        if read.missing:
            missing.append(f"{read.where}:{read.pattern}{because}")
        unreadable.extend(f"{read.where}:{error}" for error in read.errors)
        for crontab in read.files:
            if (read.where, crontab.path) in seen:
                continue
            seen.add((read.where, crontab.path))
            name = os.path.basename(crontab.path)
            if crontab.path != read.pattern and _SKIPPED_NAME.search(name):
                notes.append(f"{read.where}:{crontab.path} skipped: cron ignores a file named so")
                continue
            files.append(f"{read.where}:{crontab.path}{because}")
            fmt = crontab_format(crontab.path) if source.format == "auto" else source.format
            counted = _sort_lines(read.where, crontab.path, parse_crontab(crontab.text, fmt), patterns,
                                  jobs, others, disabled)
            if counted and "." in name and crontab.path != read.pattern:
                notes.append(f"{read.where}:{crontab.path}: Debian's cron skips names with a dot in "
                             "/etc/cron.d, other crons do not; its entries are counted")
    return CrontabSurvey(tuple(jobs), tuple(others), tuple(disabled), tuple(files), tuple(missing),
                         tuple(unreadable), tuple(notes))


def _sort_lines(where: str, path: str, lines: list[CronLine], patterns: Sequence[re.Pattern[str]],
                jobs: list[CronEntry], others: list[CronEntry], disabled: list[str]) -> bool:
    """File each line where it belongs; True when the file has an active job entry."""
    counted = False
    for line in lines:
        if line.kind == "comment":
            if _starts_a_job(line.text, patterns):
                disabled.append(f"{where}:{path}:{line.line_no}: {line.text}")
        elif line.kind == "entry" and line.command is not None and line.schedule is not None:
            entry = CronEntry(where, path, line.line_no, line.schedule, line.user, line.command)
            if _starts_a_job(line.command, patterns):
                jobs.append(entry)
                counted = True
            else:
                others.append(entry)
    return counted


def _starts_a_job(command: str, patterns: Sequence[re.Pattern[str]]) -> bool:
    return any(pattern.search(command) for pattern in patterns)
