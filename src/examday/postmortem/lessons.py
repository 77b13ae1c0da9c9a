"""The runbook's Lessons Learned Template as an editable TOML file: examday fills in what it knows
(the date, the exam, the issues it saw), people complete the rest before the post-mortem is signed."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from examday.errors import ExamdayError
from examday.postmortem.history import ExamHistory, Failure

LESSONS_NAME = "lessons.toml"
FOR_PEOPLE = ("resolution", "prevention", "runbook_updates")  # the template's fields examday cannot know


class LessonsIncomplete(ExamdayError):
    """lessons.toml is missing, unreadable, or has a field people must still fill in."""


@dataclass(frozen=True)
class Lessons:
    date: str
    exam: str
    issues_encountered: list[str]
    resolution: str
    prevention: str
    runbook_updates: str


def issue_line(failure: Failure) -> str:
    at = failure.at.astimezone().strftime("%Y-%m-%d %H:%M %Z")
    issue = f" (triage: {failure.issue})" if failure.issue else ""
    return f"{failure.item_id} failed in {failure.phase} at {at}: {failure.message[:300]}{issue}"


def lessons_template(history: ExamHistory) -> str:
    """The file people complete: every value examday knows is filled in, the rest left empty."""
    started = history.exam.get("starts_at") or (history.runs[0].started_at.isoformat() if history.runs else "")
    issues = [issue_line(failure) for failure in history.failures] or ["none: every run was GO"]
    lines = ["# Lessons learned (the runbook's template). examday filled in the date, the exam and the issues its",
             "# records show; complete resolution, prevention and runbook_updates (\"none\" is an answer), then",
             "# run `examday postmortem --complete <this folder>` and sign it with `examday sign`.",
             f"date = {_toml(str(started)[:10])}", f"exam = {_toml(str(history.exam.get('id', '')))}",
             "issues_encountered = [", *[f"  {_toml(issue)}," for issue in issues], "]",
             *[f'{name} = ""' for name in FOR_PEOPLE]]
    return "\n".join(lines) + "\n"


def read_lessons(path: Path) -> Lessons:
    """The completed file; one clear error naming what is still to fill in."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LessonsIncomplete(f"{path}: no such file", hint="build the post-mortem first: examday postmortem EXAM_ID") from None
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise LessonsIncomplete(f"{path}: not readable TOML ({error})", hint="fix the file and run --complete again") from None
    empty = [name for name in FOR_PEOPLE if not str(data.get(name, "")).strip()]
    if empty:
        raise LessonsIncomplete(f"{path}: {', '.join(empty)} still empty",
                                hint='write what was done and what changes ("none" is an answer), then --complete again')
    issues = data.get("issues_encountered", [])
    if not isinstance(issues, list) or not all(isinstance(issue, str) for issue in issues):
        raise LessonsIncomplete(f"{path}: issues_encountered must be a list of strings",
                                hint="keep it as examday wrote it, adding lines in quotes")
    return Lessons(str(data.get("date", "")), str(data.get("exam", "")), issues,
                   *(str(data[name]).strip() for name in FOR_PEOPLE))


def _toml(text: str) -> str:
    """A TOML basic string (the JSON escapes are TOML's)."""
    import json

    return json.dumps(text, ensure_ascii=False)
