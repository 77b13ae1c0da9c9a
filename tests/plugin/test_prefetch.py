"""plugin/prefetch.py: readings started as the run begins, each on its own thread or queued in a lane."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from examday.plugin import prefetch

WAIT_S = 10  # a bound for the events below, never reached when the code is right


def a_run(*fixturenames: str) -> SimpleNamespace:
    """What start() reads of a pytest config and its selected items."""
    return SimpleNamespace(stash=pytest.Stash(), items=[SimpleNamespace(fixturenames=list(fixturenames))])


def test_jobs_in_one_lane_run_one_after_the_other_and_others_beside_them():
    run = a_run("first", "second", "beside")
    release, events = threading.Event(), []

    def first() -> str:
        events.append("first started")
        assert release.wait(WAIT_S)
        events.append("first ended")
        return "one"

    def second() -> str:
        events.append("second started")
        return "two"

    def beside() -> str:
        events.append("beside ran")
        release.set()  # only a job outside the lane can run while `first` waits
        return "three"

    prefetch.start(run, run.items, {"first": first, "second": second, "beside": beside},
                   lane_of={"first": "proxy", "second": "proxy"})
    assert prefetch.result(run, "second", lambda: "not prefetched") == "two"
    assert events.index("first ended") < events.index("second started")
    assert events.index("beside ran") < events.index("first ended")
    assert [prefetch.result(run, name, lambda: None) for name in ("first", "beside")] == ["one", "three"]


def test_a_failed_reading_is_raised_where_it_is_collected_and_the_lane_goes_on():
    run = a_run("broken", "after")

    def broken() -> None:
        raise RuntimeError("the staging proxy answered 502")

    prefetch.start(run, run.items, {"broken": broken, "after": lambda: "still read"},
                   lane_of={"broken": "proxy", "after": "proxy"})
    with pytest.raises(RuntimeError, match="502"):
        prefetch.result(run, "broken", lambda: None)
    assert prefetch.result(run, "after", lambda: None) == "still read"


def test_a_reading_no_selected_item_uses_is_not_started():
    run, started = a_run("wanted"), []
    prefetch.start(run, run.items, {"wanted": lambda: "yes", "unused": lambda: started.append("unused")})
    assert prefetch.result(run, "wanted", lambda: None) == "yes"
    assert prefetch.result(run, "unused", lambda: "computed when asked") == "computed when asked"
    assert started == []
