"""The arrival schedules: counts, windows, order, determinism, and the bounds on what may be planned."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

import pytest

from examday.rehearsal.schedule import (
    Action,
    constant_rate,
    exam_day,
    merge,
    session_burst,
    span_s,
    steady_answering,
    submit_spike,
)


def test_a_burst_joins_every_student_once_within_the_window_in_time_order():
    plan = session_burst(300, 300.0, seed=7, start_s=10.0)
    assert len(plan) == 300
    assert sorted(step.student for step in plan) == list(range(300))
    assert all(step.action is Action.JOIN and 10.0 <= step.at < 310.0 for step in plan)
    assert [step.at for step in plan] == sorted(step.at for step in plan)
    # spread over the window, not bunched at one end: each fifth holds a fair share
    fifths = Counter(int((step.at - 10.0) // 60) for step in plan)
    assert all(35 <= fifths[k] <= 85 for k in range(5)), fifths


def test_the_same_seed_gives_the_same_plan_and_another_seed_another():
    assert session_burst(50, 60.0, seed=1) == session_burst(50, 60.0, seed=1)
    assert session_burst(50, 60.0, seed=1) != session_burst(50, 60.0, seed=2)
    assert steady_answering(20, 10.0, 30.0, seed=3) == steady_answering(20, 10.0, 30.0, seed=3)


def test_steady_answering_arrives_at_the_rate_with_each_student_thinking_between_answers():
    rate, duration, students = 20.0, 200.0, 40
    plan = steady_answering(students, rate, duration, seed=11, start_s=5.0, resumes=False)
    assert all(step.action is Action.ANSWER and 5.0 <= step.at < 205.0 for step in plan)
    expected = rate * duration  # Poisson: the count is within a few standard deviations (sqrt 4000 ~ 63)
    assert abs(len(plan) - expected) < 5 * expected**0.5
    per_student = Counter(step.student for step in plan)
    assert set(per_student) == set(range(students))
    mean_think = duration * students / len(plan)
    assert abs(mean_think - students / rate) < 0.15 * students / rate


def test_steady_answering_plans_one_resume_per_student_inside_the_window():
    plan = steady_answering(12, 6.0, 60.0, seed=5)
    resumes = [step for step in plan if step.action is Action.RESUME]
    assert sorted(step.student for step in resumes) == list(range(12))
    assert all(0 <= step.at < 60.0 for step in resumes)


def test_a_submit_spike_submits_every_student_once_inside_its_short_window():
    plan = submit_spike(200, 30.0, seed=9, start_s=600.0)
    assert Counter(step.student for step in plan) == Counter(range(200))
    assert all(step.action is Action.SUBMIT and 600.0 <= step.at < 630.0 for step in plan)


def test_exam_day_is_join_then_answers_then_submit_for_every_student():
    plan = exam_day(25, join_within_s=20, answer_rate_per_s=10, answer_for_s=30, submit_within_s=5, seed=4)
    assert [step.at for step in plan] == sorted(step.at for step in plan)
    for student in range(25):
        actions = [step.action for step in plan if step.student == student]
        assert actions[0] is Action.JOIN and actions[-1] is Action.SUBMIT
        assert actions.count(Action.JOIN) == 1 and actions.count(Action.SUBMIT) == 1
    assert 50.0 <= span_s(plan) < 55.0


def test_constant_rate_is_evenly_spaced_like_wrk2():
    times = constant_rate(1000.0, 2.0)
    assert len(times) == 2000
    assert times[0] == 0.0 and times[-1] == pytest.approx(1.999)
    assert {round(b - a, 9) for a, b in pairwise(times)} == {0.001}


def test_merge_keeps_time_order():
    merged = merge(session_burst(10, 5.0, seed=1), submit_spike(10, 5.0, seed=2))
    assert len(merged) == 20 and [s.at for s in merged] == sorted(s.at for s in merged)


@pytest.mark.parametrize("make", [
    lambda: session_burst(0, 10.0, seed=1),
    lambda: session_burst(10, 0.0, seed=1),
    lambda: session_burst(10**6, 10.0, seed=1),
    lambda: steady_answering(10, 0.0, 10.0, seed=1),
    lambda: steady_answering(10, 10**6, 3600.0, seed=1),
    lambda: submit_spike(10, 10 * 86400.0, seed=1),
    lambda: constant_rate(1e6, 3600.0),
])
def test_a_plan_beyond_the_bounds_is_refused_before_anything_runs(make):
    with pytest.raises(ValueError, match="must be|more than"):
        make()
