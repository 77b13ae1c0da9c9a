"""One error root: every error examday raises for an operator is an ExamdayError, so the CLI turns any
of them into one message (and its fix) without a traceback."""

from __future__ import annotations

import pytest

from examday.attestations import AttestationError
from examday.capture.bundle import CaptureError
from examday.config import ConfigError
from examday.errors import ExamdayError
from examday.facts.invariants import InvariantFileError
from examday.probes.errors import BadResponse, ProbeError, ProbeTimeout, Unreachable
from examday.report.signing import SigningError
from examday.sandbox.errors import SandboxError
from examday.student_flow import FlowError
from examday.waivers import WaiverError
from examday.watch.durations import DurationError
from examday.watch.rounds import RoundUsageError

RAISED_FOR_AN_OPERATOR = [AttestationError, CaptureError, ConfigError, InvariantFileError, ProbeError, BadResponse,
                          ProbeTimeout, Unreachable, SigningError, SandboxError, FlowError, WaiverError,
                          DurationError, RoundUsageError]


@pytest.mark.parametrize("error_type", RAISED_FOR_AN_OPERATOR, ids=lambda t: t.__name__)
def test_every_operator_error_has_the_one_root(error_type):
    assert issubclass(error_type, ExamdayError)


def test_the_message_stays_one_line_and_a_hint_adds_the_fix():
    assert str(ConfigError("tls.min_days_left must be a number", key="tls.min_days_left")) == (
        "tls.min_days_left must be a number")
    assert str(Unreachable("redis:6379 refused", dependency="redis")) == "redis:6379 refused"
    assert str(SandboxError("no Docker engine", "run `make setup`")) == "no Docker engine\n  fix: run `make setup`"
    assert str(ExamdayError("x", hint="y")).splitlines() == ["x", "  fix: y"]


def test_value_errors_stay_value_errors_for_the_code_that_catches_them_so():
    assert issubclass(DurationError, ValueError) and issubclass(FlowError, ValueError)
