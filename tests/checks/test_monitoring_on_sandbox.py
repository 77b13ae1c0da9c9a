"""The monitoring items against the sandbox's real Prometheus and Alertmanager, and the during items'
figures read from Prometheus (logs as the fallback)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from examday.sandbox.faults import clear, inject
from tests.checks.conftest import at_stage
from tests.checks.runner import checklist, failed_ids, fails_for, run_checklist, sandbox_config

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

MONITORING = {"PRE-MON-03", "PRE-MON-04", "PRE-MON-06", "PRE-MON-07"}
WINDOW_SECONDS = 15  # the during window: the students' steady answering, not their opening burst


def monitoring(tmp_path, *args: str, **overrides):
    # the sandbox delivers in about 2 s: a shorter wait keeps a failing delivery from costing a minute
    overrides["alertmanager"] = {"delivery_timeout_seconds": 15, **overrides.get("alertmanager", {})}
    config = sandbox_config(tmp_path, **overrides)
    return run_checklist("preexam", tmp_path, f"--target={config}", "-k", "monitoring", *args)


@pytest.fixture
def settled(sandbox):
    """A sandbox whose last restart (another test's stage change) Prometheus has seen through."""
    from examday.probes.prometheus import PrometheusProbe

    probe, deadline = PrometheusProbe("http://127.0.0.1:9090"), time.monotonic() + 60
    while any(t.health != "up" for t in probe.targets()) and time.monotonic() < deadline:
        time.sleep(1)
    return sandbox


def test_monitoring_passes_with_the_real_services(settled, tmp_path):
    run = monitoring(tmp_path)
    assert MONITORING <= run.ids_with("passed"), run.stdout[-3000:]
    [alert] = run.by_id("PRE-MON-07")
    # delivery proven by the receiver's own record, and the alert resolved again
    assert alert.evidence["confirmed_by"] == "receiver record"
    assert alert.evidence["delivered_after_s"] is not None and alert.evidence["resolved_after_s"] is not None


@pytest.mark.parametrize("fault, fails", [
    ("prometheus-target-down", {"PRE-MON-03": "Prometheus targets down: postgres"}),
    ("alertmanager-no-receiver", {"PRE-MON-04": "without any integration", "PRE-MON-07": "was not delivered"}),
])
def test_a_monitoring_fault_fails_its_items(sandbox, tmp_path, fault, fails):
    inject(sandbox, fault)
    try:
        run = monitoring(tmp_path)
    finally:
        clear(sandbox, fault)
    assert failed_ids(run) & MONITORING == set(fails), run.stdout[-3000:]
    for item_id, cause in fails.items():
        fails_for(run, item_id, cause)


def test_without_the_receivers_record_delivery_is_read_from_alertmanagers_counters(sandbox, tmp_path):
    run = monitoring(tmp_path, alertmanager={"receiver_record_url": None})
    [alert] = run.by_id("PRE-MON-07")
    assert alert.outcome == "passed", run.stdout[-3000:]
    assert alert.evidence["confirmed_by"] == "Alertmanager notification counters"


@pytest.fixture(scope="module")
def exam_live(sandbox, baseline_dir, tmp_path_factory):
    for during in at_stage(sandbox, "during"):
        freeze = checklist("freeze", tmp_path_factory.mktemp("freeze"), baseline_dir)
        assert failed_ids(freeze) == set(), freeze.stdout[-3000:]
        time.sleep(WINDOW_SECONDS + 5)  # past the students' opening burst of logins: steady answering only
        yield during


def test_during_figures_come_from_prometheus_and_fall_back_to_the_logs(exam_live, tmp_path, baseline_dir,
                                                                      tmp_path_factory):
    # The sandbox's own examday.toml leaves during_queries off (each worker has its own registry on
    # the platform, so rates jump); here it is on, as a platform with multiprocess metrics would set it.
    config = sandbox_config(tmp_path, baseline={"dir": str(baseline_dir)}, prometheus={"during_queries": True},
                            logs={"window_minutes": WINDOW_SECONDS / 60})
    run = run_checklist("during", tmp_path, f"--target={config}")
    assert failed_ids(run) == set(), run.stdout[-3000:]
    sources = {r.item_id: r.evidence.get(key, {}).get("source", "") for r in run.items
               for key in ("p95_ms", "error_rate") if key in r.evidence}
    assert sources and all(s.startswith("prometheus: ") for s in sources.values()), sources
    # the platform exports no pool metric: pool usage falls back to pg_stat_activity, saying why
    [pool_item] = run.by_id("DUR-SYS-01")
    assert pool_item.evidence["usage"]["source"].startswith("pg_stat_activity")
    dead = tmp_path_factory.mktemp("dead-prometheus")
    config = sandbox_config(dead, baseline={"dir": str(baseline_dir)},
                            prometheus={"url": "http://127.0.0.1:9", "during_queries": True},
                            logs={"window_minutes": WINDOW_SECONDS / 60})
    fallback = run_checklist("during", dead, f"--target={config}")
    [pool] = fallback.by_id("DUR-SYS-01")
    assert pool.outcome == "passed" and pool.evidence["usage"]["source"].startswith("pg_stat_activity")
    assert "Prometheus" in pool.evidence["usage"]["fallback_because"]


@pytest.fixture
def another_alertmanager() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on this machine that is not the sandbox's Alertmanager: it notes every request."""
    seen: list[str] = []

    class Noting(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            seen.append(f"{self.command} {self.path}")
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"[]")

        do_GET = do_POST = _answer

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Noting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()


def test_a_copied_sandbox_toml_aimed_elsewhere_does_not_fire_the_test_alert(sandbox, tmp_path, another_alertmanager):
    """kind = "sandbox" stays in a copy; the sandbox is told by its own containers, so nothing is sent."""
    url, seen = another_alertmanager
    run = monitoring(tmp_path, alertmanager={"url": url})
    [alert] = run.by_id("PRE-MON-07")
    assert alert.outcome == "skipped" and "--fire-test-alert" in alert.message, run.stdout[-2000:]
    assert not [request for request in seen if request.startswith("POST")]
    monitoring(tmp_path, "--fire-test-alert", alertmanager={"url": url})  # asked by name: it is sent
    assert [request for request in seen if request.startswith("POST /api/v2/alerts")]


def test_the_sandboxs_alertmanager_under_another_spelling_is_still_the_sandbox(settled, tmp_path):
    run = monitoring(tmp_path, alertmanager={"url": "http://localhost:9093"})
    assert run.by_id("PRE-MON-07")[0].outcome == "passed", run.stdout[-2000:]


def test_the_test_alert_starts_with_the_run_only_when_its_item_will_run(sandbox, tmp_path, another_alertmanager):
    """PRE-MON-07's round trip is started as the run begins (plugin/slow_readings.py), so it must not
    be fired for a run in which the item does not run: collected only, deselected, or declared not
    applicable. Asked for by name (--fire-test-alert), so only that decides; the last run is the control."""
    import datetime as dt
    import tomllib

    import tomli_w

    url, seen = another_alertmanager
    posted = lambda: [request for request in seen if request.startswith("POST /api/v2/alerts")]  # noqa: E731
    config = sandbox_config(tmp_path, alertmanager={"url": url, "delivery_timeout_seconds": 1})
    run_checklist("preexam", tmp_path, f"--target={config}", "--fire-test-alert", "--collect-only")
    run_checklist("preexam", tmp_path, f"--target={config}", "--fire-test-alert", "-k", "monitoring and not test_test")
    declared = tomllib.loads(config.read_text())
    now = dt.datetime.now(dt.timezone.utc)
    declared["not_applicable"] = [{"item": "PRE-MON-07", "by": "Test Operator", "at": now - dt.timedelta(minutes=1),
                                   "justification": "no on-call receiver for this test",
                                   "expires": now + dt.timedelta(days=1)}]
    config.write_text(tomli_w.dumps(declared))
    run = run_checklist("preexam", tmp_path, f"--target={config}", "--fire-test-alert", "-k", "monitoring")
    assert run.by_id("PRE-MON-07")[0].outcome == "not_applicable", run.stdout[-2000:]
    assert not posted(), seen
    del declared["not_applicable"]
    config.write_text(tomli_w.dumps(declared))
    run_checklist("preexam", tmp_path, f"--target={config}", "--fire-test-alert", "-k", "monitoring")
    assert posted(), seen
