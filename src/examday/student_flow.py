"""The student flow's contract, from ``[flow]``: how requests are written and answers read.

One description of the platform's API (login, create, view, answer, submit), shared
by everything that acts as a student: the canary (`probes/student_api.py`) and the
rehearsal's simulated students (`rehearsal/students.py`). Pure: no I/O here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from examday.errors import ExamdayError
from examday.config import StudentFlowConfig

_WHOLE = re.compile(r"^\{(\w+)\}$")


class FlowError(ExamdayError, ValueError):
    """An answer of the platform does not have the shape ``[flow]`` describes."""


def render(template: Any, values: dict[str, Any]) -> Any:
    """``{"email": "{username}"}`` -> ``{"email": "student001@..."}``; ``"{choice}"`` keeps the value's type."""
    if isinstance(template, dict):
        return {key: render(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [render(value, values) for value in template]
    if isinstance(template, str):
        whole = _WHOLE.match(template)
        if whole and whole.group(1) in values:
            return values[whole.group(1)]
        return template.format_map(_Known(values)) if "{" in template else template
    return template


class _Known(dict[str, Any]):
    """str.format_map that leaves unknown {names} as written."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def field_at(body: Any, path: str, what: str) -> Any:
    """The value at a dotted path (``"tokens.access_token"``); FlowError names what is missing."""
    value = body
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            raise FlowError(f"the answer to {what} has no {path!r} (check [flow] in examday.toml): "
                            f"{_excerpt(body)}")
        value = value[part]
    return value


@dataclass(frozen=True)
class SessionView:
    """A session as a student sees it: its status and, in order, each question and whether it is answered."""

    session_id: str
    status: str
    questions: list[str]
    answered: dict[str, bool]


def session_view(session_id: str, body: Any, flow: StudentFlowConfig) -> SessionView:
    what = f"GET {flow.view_path}"
    status = str(field_at(body, flow.status_field, what))
    questions = field_at(body, flow.questions_field, what)
    if not isinstance(questions, list):
        raise FlowError(f"{flow.questions_field!r} in the answer to {what} is not a list: {_excerpt(body)}")
    ordered = sorted(questions, key=lambda q: q.get(flow.position_field, 0) if isinstance(q, dict) else 0)
    ids = [str(field_at(q, flow.question_id_field, what)) for q in ordered]
    answered = {qid: bool(q.get(flow.answered_field)) for qid, q in zip(ids, ordered)}
    return SessionView(session_id, status, ids, answered)


def _excerpt(body: Any) -> str:
    return repr(body)[:200]


__all__ = ["FlowError", "SessionView", "field_at", "render", "session_view"]
