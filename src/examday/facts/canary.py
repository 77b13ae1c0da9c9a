"""The canary student: proof that a real student can sign in, resume, and find every answer saved.

Each run signs in as the configured canary account, starts or resumes its
session (the API's create is idempotent: it resumes the ACTIVE one), compares
the answers the platform returns with those examday saved on earlier runs,
saves one more, and reads it back. What the canary saved is kept beside the
freeze baseline, so the next run (after an incident) can tell whether any was lost.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from examday.config import CanaryConfig, ExamdayConfig
from examday.facts.local_state import read_json, state_dir, write_json
from examday.probes.errors import BadResponse

STATE_FILE = "canary.json"


@dataclass
class CanaryMemory:
    """What the canary saved before: per session, question -> selected option."""

    answers: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class SessionView:
    session_id: str
    status: str
    resumed: bool
    questions: list[str]
    answers: dict[str, int | None]


class CanaryStudent:
    """Acts through the platform's public API only, as one student; bounded by the probe's timeout."""

    def __init__(self, api: Any, canary: CanaryConfig) -> None:
        self.api, self.canary = api, canary
        self._token: str | None = None

    def sign_in(self) -> None:
        password = self.canary.password.get_secret_value() if self.canary.password else ""
        body = self._call("POST", self.canary.login_path, {"username": self.canary.username, "password": password},
                          authenticated=False)
        self._token = str(body["access_token"])

    def start_or_resume(self) -> SessionView:
        exam_id = self._exam_id()
        created = self.api.request("POST", self.canary.sessions_path, json_body={"exam_id": exam_id},
                                   bearer=self._token)
        self._expect(created, (200, 201), "start or resume a session")
        return self.view(str(created.json["id"]), resumed=created.status == 200)

    def view(self, session_id: str, resumed: bool = True) -> SessionView:
        state = self._call("GET", f"{self.canary.sessions_path}/{session_id}/state")
        questions = [str(q["question_id"]) for q in sorted(state["questions"], key=lambda q: q["position"])]
        answers = {str(a["question_id"]): a.get("selected_index") for a in state["answers"]}
        return SessionView(session_id, str(state["session"]["status"]), resumed, questions, answers)

    def save_answer(self, session_id: str, question_id: str, selected_index: int) -> None:
        self._call("POST", f"{self.canary.sessions_path}/{session_id}/answers",
                   {"question_id": question_id, "selected_index": selected_index})

    def _exam_id(self) -> str:
        exams = self._call("GET", self.canary.exams_path)
        found = [e["id"] for e in exams if e.get("code") == self.canary.exam_code]
        if not found:
            raise BadResponse(f"no exam with code {self.canary.exam_code!r} among {len(exams)} listed: "
                              "check canary.exam_code", dependency="api")
        return str(found[0])

    def _call(self, method: str, path: str, body: Any = None, authenticated: bool = True) -> Any:
        observation = self.api.request(method, path, json_body=body, bearer=self._token if authenticated else None)
        self._expect(observation, (200, 201), f"{method} {path}")
        return observation.json

    @staticmethod
    def _expect(observation: Any, statuses: tuple[int, ...], what: str) -> None:
        if observation.status not in statuses or observation.json is None:
            raise BadResponse(f"the canary could not {what}: HTTP {observation.status} {observation.text[:200]!r}",
                              dependency="api")


def next_answer(view: SessionView) -> tuple[str, int] | None:
    """The first question without a saved choice, and a choice for it (None when all answered)."""
    for position, question_id in enumerate(view.questions):
        if view.answers.get(question_id) is None:
            return question_id, position % 4
    return None


def missing_answers(view: SessionView, memory: CanaryMemory) -> list[str]:
    """Answers the canary saved in this session before that the platform no longer returns as saved."""
    return [f"{question}: saved {choice}, now {view.answers.get(question)}"
            for question, choice in memory.answers.get(view.session_id, {}).items()
            if view.answers.get(question) != choice]


def memory_path(config: ExamdayConfig) -> Path:
    return state_dir(config) / STATE_FILE


def load_memory(config: ExamdayConfig) -> CanaryMemory:
    data = read_json(memory_path(config))
    return CanaryMemory() if data is None else CanaryMemory(**data)


def save_memory(memory: CanaryMemory, config: ExamdayConfig) -> None:
    write_json(memory_path(config), asdict(memory))
