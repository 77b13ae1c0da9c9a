"""A drill's plan: a session burst, steady answers, and every student handing in at the end."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from examday.rehearsal.drill import HAND_IN_WITHIN_S, Drills
from examday.rehearsal.schedule import Action
from examday.rehearsal.students import numbered_accounts


def drills(students: int) -> Drills:
    rehearsal = SimpleNamespace(answer_rate_per_s=10.0, steady_seconds=5.0)
    return Drills(rehearsal, target=None, accounts=numbered_accounts(students, "pw"), engine=None, progress=False)


@pytest.mark.parametrize("late_joiners", [False, True])
def test_every_student_hands_in_once_after_the_drill(late_joiners: bool) -> None:
    total = 20.0
    plan = drills(12).plan(steady=5.0, hold_s=10.0, total=total, late_joiners=late_joiners)
    submits = [step for step in plan if step.action is Action.SUBMIT]
    assert sorted(step.student for step in submits) == list(range(12))
    assert all(total <= step.at < total + HAND_IN_WITHIN_S for step in submits)
    # nothing else is planned after the hand-in begins: the measured drill is over by then
    assert all(step.at < total for step in plan if step.action is not Action.SUBMIT)
    assert plan == sorted(plan)
