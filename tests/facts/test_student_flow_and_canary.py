"""The [flow] contract (rendering, reading answers) and the canary's round logic.

The canary against the real sandbox is in tests/checks/test_recovery_on_sandbox.py; here
`InMemoryPlatformDouble` (a double of the StudentPort, named as such) plays the platform
so that every branch (resumed, lost, closed, a fresh start) is shown.
"""

from __future__ import annotations

import pytest

from examday.config import StudentFlowConfig
from examday.facts.canary import CanaryMemory, lost_session_problem, run_canary
from examday.student_flow import FlowError, SessionView, field_at, render, session_view


def test_render_keeps_the_type_of_a_whole_placeholder_and_formats_inside_strings():
    body = render({"question_id": "{question_id}", "selected_index": "{choice}", "note": "q={question_id}"},
                  {"question_id": "q1", "choice": 3})
    assert body == {"question_id": "q1", "selected_index": 3, "note": "q=q1"}
    assert render("sessions/{session_id}/answer", {"session_id": "s9"}) == "sessions/s9/answer"
    assert render({"blocks": ["A", "{x}"]}, {}) == {"blocks": ["A", "{x}"]}  # unknown names stay as written


def test_the_real_login_answer_gives_the_token_and_a_wrong_shape_says_where_to_look():
    login = {"user": {"id": "u"}, "tokens": {"access_token": "jwt", "refresh_token": "r", "token_type": "bearer"},
             "mfa_required": False}
    assert field_at(login, "tokens.access_token", "sign in") == "jwt"
    with pytest.raises(FlowError, match=r"no 'tokens.access_token'.*\[flow\]"):
        field_at({"access_token": "old shape"}, "tokens.access_token", "sign in")


def test_a_session_as_the_platform_answers_get_session():
    body = {"session": {"status": "ACTIVE"}, "progress": {},
            "questions": [{"position": 2, "question_id": "q2", "has_answer": False, "marked_for_review": False},
                          {"position": 1, "question_id": "q1", "has_answer": True, "marked_for_review": False}],
            "current_question": 1}
    view = session_view("s1", body, StudentFlowConfig())
    assert view == SessionView("s1", "ACTIVE", ["q1", "q2"], {"q1": True, "q2": False})


class InMemoryPlatformDouble:
    """A double of the StudentPort: sessions in a dict, for the canary's branches only."""

    def __init__(self, questions: int = 3) -> None:
        self.sessions: dict[str, dict[str, object]] = {}
        self.questions = questions
        self.created = 0

    def sign_in(self) -> None:
        pass

    def create_session(self) -> str:
        self.created += 1
        session_id = f"s{self.created}"
        self.sessions[session_id] = {"status": "ACTIVE", "answered": set()}
        return session_id

    def view(self, session_id: str) -> SessionView | None:
        session = self.sessions.get(session_id)
        if session is None:
            return None
        ids = [f"q{i}" for i in range(self.questions)]
        return SessionView(session_id, str(session["status"]), ids, {q: q in session["answered"] for q in ids})

    def answer(self, session_id: str, question_id: str, choice: int) -> None:
        self.sessions[session_id]["answered"].add(question_id)  # type: ignore[union-attr]


def test_the_canary_starts_once_then_resumes_the_same_session_with_its_answers():
    platform = InMemoryPlatformDouble()
    first, memory = run_canary(platform, CanaryMemory(), choices=5)
    assert (first.resumed, first.why_new, first.saved_now, first.read_back) == (False, "no session yet", "q0", True)
    second, memory = run_canary(platform, memory, choices=5)
    assert (second.session_id, second.resumed, second.saved_before, second.missing) == ("s1", True, 1, [])
    assert platform.created == 1 and memory.answers == {"s1": {"q0": 0, "q1": 1}}


def test_a_lost_answer_is_named_and_nothing_more_is_saved():
    platform = InMemoryPlatformDouble()
    _, memory = run_canary(platform, CanaryMemory(), choices=5)
    platform.sessions["s1"]["answered"] = set()  # type: ignore[index]
    outcome, _ = run_canary(platform, memory, choices=5)
    assert outcome.missing == ["q0"] and outcome.saved_now is None


@pytest.mark.parametrize("answered_before", [True, False])
def test_a_remembered_session_gone_is_lost_naming_both_ids_and_the_next_round_resumes(answered_before):
    platform = InMemoryPlatformDouble()
    memory = run_canary(platform, CanaryMemory(), choices=5)[1] if answered_before else CanaryMemory("s0")
    platform.sessions.pop("s1", None)
    lost, memory = run_canary(platform, memory, choices=5)
    gone = "s1" if answered_before else "s0"
    assert (lost.lost_session, lost.lost_answers, lost.resumed) == (gone, int(answered_before), False)
    assert lost_session_problem(lost) == (f"the canary's session {gone} is gone (404), with {int(answered_before)} "
                                          f"saved answer(s); it had to start a new session, {lost.session_id}")
    again, _ = run_canary(platform, memory, choices=5)
    assert again.resumed and again.session_id == lost.session_id and lost_session_problem(again) is None


def test_a_new_session_for_a_first_round_is_no_loss():
    first, _ = run_canary(InMemoryPlatformDouble(), CanaryMemory(), choices=5)
    assert lost_session_problem(first) is None


def test_a_closed_session_is_checked_once_more_and_the_next_round_starts_anew():
    platform = InMemoryPlatformDouble()
    _, memory = run_canary(platform, CanaryMemory(), choices=5)
    platform.sessions["s1"]["status"] = "EXPIRED"
    closed, memory = run_canary(platform, memory, choices=5)
    assert (closed.status, closed.missing, closed.saved_now, memory.session_id) == ("EXPIRED", [], None, None)
    fresh, _ = run_canary(platform, memory, choices=5)
    assert fresh.session_id == "s2" and fresh.why_new == "no session yet"
