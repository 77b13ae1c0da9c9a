"""The canary student: proof that a real student can sign in, resume, and find every answer saved.

There is no "my sessions" route on the platform: a student resumes by the
session_id the create answered. So the canary remembers its session_id and what
it saved (beside the freeze baseline), and each run: signs in, reads that
session back, checks that every question it answered before is still answered,
saves one more answer and reads it back. It starts a new session when it has none
yet, or after the remembered one was closed (submitted or expired), and says why.

A remembered session that is gone (404) is a lost session: a student could not
resume. The round says so, naming the lost session and the new one it started, so
that the next round resumes again (one incident fails one round, not every round
after it).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from examday.config import ExamdayConfig
from examday.facts.local_state import read_json, state_dir, write_json
from examday.probes.student_api import StudentClient
from examday.student_flow import SessionView

STATE_FILE = "canary.json"
OPEN = "ACTIVE"


class StudentPort(Protocol):
    def sign_in(self) -> None: ...
    def create_session(self) -> str: ...
    def view(self, session_id: str) -> SessionView | None: ...
    def answer(self, session_id: str, question_id: str, choice: int) -> None: ...


@dataclass
class CanaryMemory:
    """The session the canary works in, and per session what it saved: question -> choice."""

    session_id: str | None = None
    answers: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class CanaryRound:
    session_id: str
    resumed: bool  # the remembered session was read back (False: a new one was started)
    why_new: str | None  # why a new session was started, when one was
    status: str
    saved_before: int
    missing: list[str]  # questions answered before and no longer answered
    saved_now: str | None = None
    read_back: bool | None = None
    lost_session: str | None = None  # the remembered session, gone (404): a new one was started
    lost_answers: int = 0  # what the canary had saved in the lost session


def lost_session_problem(round_: CanaryRound) -> str | None:
    """Why this round is a failure of session continuity, or None."""
    if round_.lost_session is None:
        return None
    return (f"the canary's session {round_.lost_session} is gone (404), with {round_.lost_answers} saved "
            f"answer(s); it had to start a new session, {round_.session_id}")


def run_canary(student: StudentPort, memory: CanaryMemory, choices: int) -> tuple[CanaryRound, CanaryMemory]:
    """One round: resume (or start), compare, save one more answer, read it back."""
    student.sign_in()
    view, why_new = _resume_or_start(student, memory)
    saved = memory.answers.get(view.session_id, {})
    missing = [qid for qid in saved if not view.answered.get(qid)]
    round_ = CanaryRound(view.session_id, why_new is None, why_new, view.status, len(saved), missing)
    if memory.session_id is not None and memory.session_id != view.session_id:
        round_ = replace(round_, lost_session=memory.session_id,
                         lost_answers=len(memory.answers.get(memory.session_id, {})))
    # A closed session (submitted, expired) is checked once more; the next round starts a new one.
    memory.session_id = view.session_id if view.status == OPEN else None
    step = next_question(view) if view.status == OPEN and not missing else None
    if step is None:
        return round_, memory
    student.answer(view.session_id, step, len(saved) % choices)
    memory.answers.setdefault(view.session_id, {})[step] = len(saved) % choices
    reread = student.view(view.session_id)
    return replace(round_, saved_now=step, read_back=bool(reread and reread.answered.get(step))), memory


def _resume_or_start(student: StudentPort, memory: CanaryMemory) -> tuple[SessionView, str | None]:
    """The remembered session read back (why_new None), else a new one and why it was started."""
    remembered = memory.session_id
    if remembered is None:
        return _start(student), "no session yet"
    view = student.view(remembered)
    if view is not None:
        return view, None
    return _start(student), f"its session {remembered} is gone (404)"


def _start(student: StudentPort) -> SessionView:
    session_id = student.create_session()
    view = student.view(session_id)
    if view is None:
        raise SessionLost(f"the session the canary just created ({session_id}) cannot be read back", session_id)
    return view


class SessionLost(Exception):
    """The session the canary just created cannot be read back."""

    def __init__(self, reason: str, session_id: str) -> None:
        super().__init__(reason)
        self.reason, self.session_id = reason, session_id


def next_question(view: SessionView) -> str | None:
    """The first question not answered yet (None when all are)."""
    return next((qid for qid in view.questions if not view.answered.get(qid)), None)


def memory_path(config: ExamdayConfig) -> Path:
    configured = config.canary.memory_file if config.canary else None
    return configured or state_dir(config) / STATE_FILE


def load_memory(config: ExamdayConfig) -> CanaryMemory:
    data: Any = read_json(memory_path(config))
    if not isinstance(data, dict) or "session_id" not in data:
        return CanaryMemory()  # none yet, or an earlier version's file (it kept no session id)
    return CanaryMemory(data.get("session_id"), data.get("answers") or {})


def save_memory(memory: CanaryMemory, config: ExamdayConfig) -> None:
    write_json(memory_path(config), asdict(memory))


def canary_student(api: Any, config: ExamdayConfig) -> StudentClient:
    """The canary student of [canary], signing in through ``api`` as the target's student flow says."""
    canary = config.canary
    assert canary is not None, "canary_student needs [canary]"
    return StudentClient(api, config.flow, canary.username, canary.password_text())
