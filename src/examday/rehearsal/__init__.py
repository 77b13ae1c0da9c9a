"""Rehearsal load: open-loop simulated students, latency from the scheduled send time, a bounded run.

Modules, one concern each: schedule (when each student acts: the session
burst, steady answering, the submit spike), target (where load may go: the
configured target's own addresses only), wire (HTTP/1.1 lanes, the hot
path), dispatch (the open-loop timeline and the caps), recorder and results
(HdrHistogram percentiles, outcomes by class, the per-second series), students
(the sessions API scenario and the ledger of acknowledged answers), progress
(the terminal), runner (the entry points) and plot (latency over time as
inline SVG, fault windows shaded).
"""

from examday.rehearsal.plot import FaultWindow, latency_svg
from examday.rehearsal.results import LoadResult, SecondStats
from examday.rehearsal.runner import (
    FixedRequest,
    Limits,
    load_requests,
    load_students,
    run_requests,
    run_students,
)
from examday.rehearsal.schedule import (
    Action,
    Step,
    constant_rate,
    exam_day,
    merge,
    session_burst,
    steady_answering,
    submit_spike,
)
from examday.rehearsal.ledger import AnswerLedger
from examday.rehearsal.students import Account, numbered_accounts
from examday.rehearsal.target import LOOPBACK, Target, TargetRefused, resolve_target

__all__ = [
    "LOOPBACK", "Account", "Action", "AnswerLedger", "FaultWindow", "FixedRequest", "Limits", "LoadResult",
    "SecondStats", "Step", "Target", "TargetRefused", "constant_rate", "exam_day", "latency_svg", "load_requests",
    "load_students", "merge", "numbered_accounts", "resolve_target", "run_requests", "run_students",
    "session_burst", "steady_answering", "submit_spike",
]
