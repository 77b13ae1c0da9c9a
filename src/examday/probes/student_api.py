"""One student using the platform's public API, as ``[flow]`` describes it (the canary, a staging try).

The only client of the platform that writes (a session, answers), and only as
the dedicated account it is given. Every call goes through the API probe, so it
is bounded by its timeout, and any answer other than the expected one is
reported as what it is (a 500 is "HTTP 500", not a parsing error).
"""

from __future__ import annotations

from typing import Any

from examday.config import StudentFlowConfig
from examday.probes.errors import BadResponse
from examday.student_flow import FlowError, SessionView, field_at, render, session_view


class StudentClient:
    def __init__(self, api: Any, flow: StudentFlowConfig, username: str, password: str,
                 dependency: str = "api") -> None:
        self.api, self.flow, self.dependency = api, flow, dependency
        self._credentials = {"username": username, "password": password}
        self._token: str | None = None

    def sign_in(self) -> None:
        body = self._call("POST", self.flow.login_path, render(self.flow.login_body, self._credentials),
                          authenticated=False, what="sign in")
        self._token = str(self._field(body, self.flow.token_field, "sign in"))

    @property
    def token(self) -> str | None:
        return self._token

    def create_session(self) -> str:
        body = self._call("POST", self.flow.create_path, render(self.flow.create_body, {}), what="create a session")
        return str(self._field(body, self.flow.session_id_field, "create a session"))

    def view(self, session_id: str) -> SessionView | None:
        """The session as its owner sees it; None when the platform no longer knows it (404)."""
        path = render(self.flow.view_path, {"session_id": session_id})
        observation = self.api.request("GET", path, bearer=self._token)
        if observation.status == 404:
            return None
        body = self._expect(observation, f"read session {session_id}")
        try:
            return session_view(session_id, body, self.flow)
        except FlowError as error:
            raise BadResponse(str(error), dependency=self.dependency) from None

    def answer(self, session_id: str, question_id: str, choice: int) -> None:
        values = {"session_id": session_id, "question_id": question_id, "choice": choice}
        self._call("POST", render(self.flow.answer_path, values), render(self.flow.answer_body, values),
                   what=f"save an answer in session {session_id}")

    def submit(self, session_id: str) -> Any:
        return self._call("POST", render(self.flow.submit_path, {"session_id": session_id}), None,
                          what=f"submit session {session_id}")

    def _call(self, method: str, path: str, body: Any, *, what: str, authenticated: bool = True) -> Any:
        observation = self.api.request(method, path, json_body=body, bearer=self._token if authenticated else None)
        return self._expect(observation, what)

    def _expect(self, observation: Any, what: str) -> Any:
        if not 200 <= observation.status < 300 or observation.json is None:
            raise BadResponse(f"could not {what}: {observation.url} answered HTTP {observation.status} "
                              f"{observation.text[:200]!r}", dependency=self.dependency)
        return observation.json

    def _field(self, body: Any, path: str, what: str) -> Any:
        try:
            return field_at(body, path, what)
        except FlowError as error:
            raise BadResponse(str(error), dependency=self.dependency) from None
