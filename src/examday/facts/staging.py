"""The staging twin: a student's whole flow tried there, step by step (PRE-INF-07).

/health answering says little about staging: tonight's changes are tried there,
so examday signs in as a student and walks the flow the exam depends on (sign
in, create a session, answer, resume and find the answer, submit), stopping at
the first step that fails and naming it. It writes to staging only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from examday.config import ExamdayConfig
from examday.facts.health import health_problem
from examday.probes.errors import ProbeError
from examday.probes.http import HttpProbe
from examday.probes.student_api import StudentClient


class StagingNotConfigured(Exception):
    """[staging] lacks what the flow needs (an account, its password)."""


@dataclass
class FlowTry:
    steps: list[str] = field(default_factory=list)  # the steps that succeeded, in order
    failed_step: str | None = None
    error: str | None = None
    session_id: str | None = None


def staging_probe(config: ExamdayConfig) -> HttpProbe:
    staging = config.staging
    assert staging is not None and staging.api_base_url is not None
    basic = None
    if staging.basic_auth_username:
        password = staging.password_text()
        basic = (staging.basic_auth_username, password)
    # TLS as [tls] verifies certificates (its CA bundle and names default to the API's)
    api = config.api.model_copy(update={"ca_bundle": config.tls.ca_bundle, "resolve": config.tls.resolve})
    return HttpProbe.from_config(api, base_url=staging.api_base_url, dependency="staging", basic_auth=basic)


def staging_student(probe: Any, config: ExamdayConfig) -> StudentClient:
    """The student who tries the flow: [staging] username, else the [canary] account."""
    staging, canary = config.staging, config.canary
    assert staging is not None
    username = staging.username or (canary.username if canary else None)
    secret = staging.student_password() or (canary.password if canary and not staging.username else None)
    if username is None or secret is None:
        raise StagingNotConfigured("no student account for staging: set [staging] username and "
                                   "student_password_file (or configure [canary], which staging carries too)")
    return StudentClient(probe, config.flow, username, secret.get_secret_value(), dependency="staging")


def try_student_flow(student: StudentClient, choices: int) -> FlowTry:
    """Sign in, create, answer, resume (the answer shows), submit; stop at the first failure."""
    tried = FlowTry()
    step = "sign in"
    try:
        student.sign_in()
        tried.steps.append(step)
        step = "create a session"
        tried.session_id = session_id = student.create_session()
        tried.steps.append(step)
        step = "read the session"
        view = student.view(session_id)
        if view is None or not view.questions:
            raise ProbeError("the new session reads 404" if view is None else "the new session has no questions",
                             dependency="staging")
        tried.steps.append(step)
        step = "save an answer"
        student.answer(session_id, view.questions[0], 1 % choices)
        tried.steps.append(step)
        step = "resume"
        resumed = student.view(session_id)
        if resumed is None or not resumed.answered.get(view.questions[0]):
            raise ProbeError("the saved answer is not shown as answered", dependency="staging")
        tried.steps.append(step)
        step = "submit"
        student.submit(session_id)
        tried.steps.append(step)
    except ProbeError as error:
        tried.failed_step, tried.error = step, str(error)
    return tried


@dataclass
class StagingTrial:
    """PRE-INF-07's reading: staging's /health and ready, then (when both are fine) the student flow."""

    health: Any
    ready: Any
    flow: FlowTry | None = None
    not_configured: str | None = None  # why no student could try the flow


def try_staging(config: ExamdayConfig) -> StagingTrial:
    """Health and ready first: a student flow on a staging that is not up says nothing new."""
    with staging_probe(config) as probe:
        trial = StagingTrial(probe.health(), probe.ready())
        if health_problem(trial.health) is not None or not trial.ready.is_ok:
            return trial
        try:
            student = staging_student(probe, config)
        except StagingNotConfigured as missing:
            trial.not_configured = str(missing)
            return trial
        trial.flow = try_student_flow(student, config.flow.choices)
    return trial
