"""Waivers: data with a justification and an expiry; a current one turns NO-GO into GO WITH WAIVERS."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from examday.waivers import WaiverError, current_waiver, load_waivers
from tests.report.helpers import EXAM_SECTION, SYNTHETIC_CONFIG, SyntheticChecklist, waiver_toml

NOW = dt.datetime.now(dt.timezone.utc)
FAILING_ITEM = """
    @item("FRZ-INF-03", "Check database backups are current", remediation="run a backup now")
    @pytest.mark.freeze
    def test_backup(evidence):
        evidence.record(newest_age_hours=30)
        assert False, "the newest backup is 30 h old"

    @item("FRZ-INF-01", "Verify all services are healthy", remediation="restart it")
    @pytest.mark.freeze
    def test_ok():
        pass
"""


def results_of(site: SyntheticChecklist) -> dict:
    [record] = site.records
    return json.loads((record / "results.json").read_text())


def test_a_current_waiver_makes_a_failing_run_go_with_waivers_and_exit_0(synthetic):
    synthetic.items(FAILING_ITEM).waivers(waiver_toml("FRZ-INF-03", NOW + dt.timedelta(days=2)))
    done = synthetic.run("-m", "freeze")
    assert done.returncode == 0, done.stdout
    assert "verdict: GO WITH WAIVERS" in done.stdout
    results = results_of(synthetic)
    assert results["verdict"] == "GO WITH WAIVERS"
    [waived] = [i for i in results["items"] if i["id"] == "FRZ-INF-03"]
    assert waived["outcome"] == "waived" and "30 h old" in waived["message"]
    assert waived["waiver"]["by"] == "Dana Okafor" and waived["waiver"]["justification"]
    assert results["statement"]["predicate"]["result"] == "WARNED"


def test_an_expired_waiver_counts_as_missing_no_go_and_exit_1(synthetic):
    synthetic.items(FAILING_ITEM).waivers(waiver_toml("FRZ-INF-03", NOW - dt.timedelta(minutes=1)))
    done = synthetic.run("-m", "freeze")
    assert done.returncode == 1
    assert "verdict: NO-GO" in done.stdout
    results = results_of(synthetic)
    assert results["verdict"] == "NO-GO"
    assert [i["outcome"] for i in results["items"] if i["id"] == "FRZ-INF-03"] == ["failed"]


def test_without_a_waiver_the_run_is_no_go(synthetic):
    done = synthetic.items(FAILING_ITEM).run("-m", "freeze")
    assert done.returncode == 1 and results_of(synthetic)["verdict"] == "NO-GO"


def test_the_default_file_is_named_after_the_exam_and_an_option_overrides_it(tmp_path):
    site = SyntheticChecklist(tmp_path / "exam-site", SYNTHETIC_CONFIG + EXAM_SECTION).items(FAILING_ITEM)
    site.waivers(waiver_toml("FRZ-INF-03", NOW + dt.timedelta(days=1)), name="EXAM-42.toml")
    assert site.run("-m", "freeze", "--no-archive").returncode == 0
    elsewhere = tmp_path / "board-waivers.toml"
    elsewhere.write_text("")
    assert site.run("-m", "freeze", "--no-archive", "--waivers", str(elsewhere)).returncode == 1


def test_a_malformed_waiver_file_is_one_usage_error_before_any_item_runs(synthetic):
    synthetic.items(FAILING_ITEM).waivers('[[waiver]]\nitem = "FRZ-INF-03"\nby = "Dana"\n'
                                          'at = 2026-01-01T00:00:00Z\njustification = "ok"\n')
    done = synthetic.run("-m", "freeze")
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert "synthetic.toml" in done.stderr and "expires" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert synthetic.records == []


@pytest.mark.parametrize(("entry", "problem"), [
    ('justification = "ok"\n', "expires"),
    ("expires = 2030-01-01T00:00:00Z\n", "justification"),
    ('justification = ""\nexpires = 2030-01-01T00:00:00Z\n', "justification"),
    ('justification = "ok"\nexpires = 2025-01-01T00:00:00Z\n', "expires must be after at"),
])
def test_a_waiver_needs_a_justification_and_a_later_expiry(tmp_path, entry, problem):
    path = tmp_path / "waivers.toml"
    path.write_text('[[waiver]]\nitem = "PRE-INF-03"\nby = "Dana"\nat = 2026-01-01T00:00:00Z\n' + entry)
    with pytest.raises(WaiverError, match=problem):
        load_waivers(path)


def test_the_newest_current_waiver_wins_and_expiry_ends_it(tmp_path):
    path = tmp_path / "waivers.toml"
    path.write_text(waiver_toml("PRE-INF-03", dt.datetime(2030, 1, 2, tzinfo=dt.timezone.utc))
                    + waiver_toml("PRE-INF-03", dt.datetime(2030, 1, 5, tzinfo=dt.timezone.utc),
                                  at=dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc), justification="second"))
    waivers = load_waivers(path)
    assert current_waiver(waivers, "PRE-INF-03", dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)).justification \
        == "second"
    assert current_waiver(waivers, "PRE-INF-03", dt.datetime(2030, 1, 5, tzinfo=dt.timezone.utc)) is None
    assert current_waiver(waivers, "PRE-INF-04", dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)) is None
