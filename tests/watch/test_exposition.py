"""The watch's verdicts in the Prometheus text format (watch/exposition.py), read back with
prometheus_client's own parser, served over HTTP and written for the textfile collector."""

from __future__ import annotations

import datetime as dt
import socket
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from examday.watch.charts import Limits
from examday.watch.exposition import MetricsServer, exposition, listen_address, write_textfile
from examday.watch.info import WatchInfo
from examday.watch.summary import RoundSummary
from tests.report.helpers import SYNTHETIC_CONFIG
from tests.watch.helpers import examday_cli

T0 = dt.datetime(2030, 6, 1, 9, 0, tzinfo=dt.timezone.utc)
INFO = WatchInfo(target_name='prod "main"', target_kind="production", config_path="examday.toml",
                 limits=Limits(500, 0.01, 0.8, 80, 85), interval_s=60, duration_s=None, started_at=T0,
                 exam={"id": "MED-2027-01"})


def round_of(number: int, verdict: str, outcomes: dict[str, str], p95: float | None = 120.0) -> RoundSummary:
    started = T0 + dt.timedelta(minutes=number)
    return RoundSummary(number=number, started_at=started, ended_at=started + dt.timedelta(seconds=12.5),
                        verdict=verdict, p95_ms=p95, error_rate=0.002, pool_usage=0.4,
                        cpu_pct={"exam_platform_backend": 41.5}, memory_pct={"exam_platform_backend": 25.0},
                        failed_items=[i for i, o in outcomes.items() if o == "failed"], item_outcomes=outcomes)


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_the_latest_round_per_item_with_its_figures_and_the_round_counts():
    rounds = [round_of(1, "GO", {"DUR-LAT-01": "passed"}),
              round_of(2, "NO-GO", {"DUR-LAT-01": "failed", "DUR-ERR-01": "passed", "DUR-RED-01": "skipped",
                                    "DUR-SYS-02": "waived"}, p95=930.0)]
    found = samples(exposition(INFO, rounds))
    base = (("exam", "MED-2027-01"), ("target", 'prod "main"'))  # a quote in a label survives the format
    assert found[("examday_rounds_total", base)] == 2 and found[("examday_rounds_failed_total", base)] == 1
    assert found[("examday_round_go", tuple(sorted((*base, ("verdict", "NO-GO")))))] == 0
    assert found[("examday_round_duration_seconds", base)] == 12.5
    item = lambda i: ("examday_item_passed", tuple(sorted((*base, ("item", i)))))  # noqa: E731
    assert found[item("DUR-LAT-01")] == 0 and found[item("DUR-ERR-01")] == 1 and found[item("DUR-SYS-02")] == 1
    assert item("DUR-RED-01") not in found  # not checked: neither passed nor failed
    assert found[("examday_p95_milliseconds", base)] == 930.0
    cpu = ("examday_container_cpu_percent", tuple(sorted((*base, ("container", "exam_platform_backend")))))
    assert found[cpu] == 41.5


def test_before_any_round_only_the_counts_are_exposed():
    assert {name for name, _ in samples(exposition(INFO, []))} == {"examday_rounds_total", "examday_rounds_failed_total"}


def test_the_server_answers_metrics_and_only_metrics():
    server = MetricsServer("127.0.0.1", 0)
    try:
        server.text = exposition(INFO, [round_of(1, "GO", {"DUR-LAT-01": "passed"})])
        host, port = server.address
        with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=5) as answer:
            assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            assert samples(answer.read().decode())
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(f"http://{host}:{port}/", timeout=5)
    finally:
        server.close()


def test_the_textfile_is_replaced_whole(tmp_path):
    path = tmp_path / "examday.prom"
    write_textfile(path, exposition(INFO, []))
    write_textfile(path, exposition(INFO, [round_of(1, "GO", {})]))
    assert samples(path.read_text()) and [p.name for p in tmp_path.iterdir()] == ["examday.prom"]


@pytest.mark.parametrize("text, expected", [("127.0.0.1:9464", ("127.0.0.1", 9464)), (":9464", ("127.0.0.1", 9464)),
                                            ("[::1]:9464", ("::1", 9464))])
def test_listen_addresses(text, expected):
    assert listen_address(text) == expected


def test_a_bad_or_taken_listen_address_is_one_message_and_exit_2(tmp_path):
    bad = examday_cli("watch", "--metrics-listen", "9464", "--reports-dir", str(tmp_path), cwd=tmp_path)
    assert bad.returncode == 2 and "--metrics-listen: '9464' is not HOST:PORT" in bad.stderr
    target = tmp_path / "examday.toml"
    target.write_text(SYNTHETIC_CONFIG)
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        port = taken.getsockname()[1]
        busy = examday_cli("watch", "--metrics-listen", f"127.0.0.1:{port}", "--reports-dir", str(tmp_path),
                           "--target", str(target), cwd=tmp_path)
    finally:
        taken.close()
    assert busy.returncode == 2 and "cannot listen there" in busy.stderr and "Traceback" not in busy.stderr
    assert not list(tmp_path.glob("*/watch-*")), "nothing written for bad input"
