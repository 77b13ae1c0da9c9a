"""`examday watch` against the sandbox in its during stage, as an operator runs it."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest
import tomli_w

from tests.report.chromium import render
from tests.watch.conftest import WatchTargets
from tests.watch.helpers import examday_cli, watch_folder

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def trend_of(folder: Path) -> dict:
    return json.loads((folder / "trend.json").read_text())


def round_records(folder: Path) -> list[Path]:
    return sorted(p for p in (folder / "rounds").glob("sandbox/*/during-*") if p.is_dir())


# -- a short watch: 20 s, a round every 5 s ---------------------------------------------------
@pytest.fixture(scope="module")
def watched(watch_targets: WatchTargets, tmp_path_factory: pytest.TempPathFactory):
    reports = tmp_path_factory.mktemp("reports")
    started = time.monotonic()
    done = examday_cli("watch", "--interval", "5s", "--for", "20s", "--target", str(watch_targets.healthy),
                       "--reports-dir", str(reports), cwd=reports)
    return done, watch_folder(reports), time.monotonic() - started


def test_a_watch_runs_a_round_per_interval_and_exits_0(watched):
    done, folder, _ = watched
    assert done.returncode == EXIT_OK, done.stdout + done.stderr
    trend = trend_of(folder)
    # A round takes longer than the 5 s interval on 2 busy cores: the next then starts when it ends.
    # What holds whatever the machine's speed: rounds in order, never closer than the interval,
    # every one started within the 20 s asked for.
    starts = [dt.datetime.fromisoformat(r["started_at"]) for r in trend["rounds"]]
    watch_start = dt.datetime.fromisoformat(trend["watch"]["started_at"])
    assert len(starts) >= 2 and trend["summary"]["rounds"] == len(starts), done.stdout
    assert all((later - earlier).total_seconds() >= 5 - 1 for earlier, later in zip(starts, starts[1:])), starts
    # Record timestamps are whole seconds: a round begun 19.4 s in can read 20 s after the watch's start.
    assert all((start - watch_start).total_seconds() < 20 + 1 for start in starts), starts
    assert trend["summary"]["failed"] == 0 and trend["watch"]["status"] == "finished"
    assert len(round_records(folder)) == trend["summary"]["rounds"]
    assert re.search(r"finished after \d rounds, none failed", done.stdout)
    assert "Traceback" not in done.stdout + done.stderr


def test_each_round_is_a_record_examday_verify_accepts(watched, tmp_path):
    _, folder, _ = watched
    record = round_records(folder)[-1]
    assert {"checklist.html", "results.json", "SHA256SUMS"} <= {p.name for p in record.iterdir()}
    verified = examday_cli("verify", str(record), cwd=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "VERIFIED" in verified.stdout


def test_the_trend_page_plots_every_round_and_links_its_record(watched):
    _, folder, _ = watched
    page = (folder / "trend.html").read_text()
    assert "<script" not in page.lower()
    charts = re.findall(r"<svg .*?</svg>", page, flags=re.DOTALL)
    assert len(charts) == 5
    for chart in charts:
        assert ET.fromstring(chart).iter("{http://www.w3.org/2000/svg}polyline")
    rounds = trend_of(folder)["rounds"]
    assert all(r["p95_ms"] is not None and r["cpu_pct"] for r in rounds), rounds
    for link in re.findall(r'href="([^"]+/checklist\.html)"', page):
        assert (folder / link).is_file()
    assert len(re.findall(r'href="[^"]+/checklist\.html"', page)) == len(rounds)


def test_the_trend_page_renders_without_javascript(watched, tmp_path):
    _, folder, _ = watched
    rendering = render(folder / "trend.html", tmp_path / "profile")
    assert rendering.png.startswith(b"\x89PNG")
    (tmp_path / "trend.png").write_bytes(rendering.png)  # for a person to look at (pytest --basetemp)
    assert rendering.dom.count("<svg") == 5 and "polyline" in rendering.dom


# -- Ctrl-C -------------------------------------------------------------------------------------
class Output:
    """A child's stdout, read line by line in the background."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append(line)

    def wait_for(self, pattern: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not any(re.search(pattern, line) for line in self.lines):
            assert time.monotonic() < deadline, f"no {pattern!r} in:\n{''.join(self.lines)}"
            time.sleep(0.1)

    def text(self) -> str:
        self._thread.join(timeout=5)
        return "".join(self.lines)


def start_long_watch(target, tmp_path) -> subprocess.Popen[str]:
    """A watch meant to run ten minutes: the test stops it."""
    return subprocess.Popen(
        [sys.executable, "-m", "examday.cli.main", "watch", "--interval", "5s", "--for", "10m",
         "--target", str(target), "--reports-dir", str(tmp_path)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})


def test_ctrl_c_ends_the_watch_cleanly_with_the_trend_written(watch_targets, tmp_path):
    process = start_long_watch(watch_targets.healthy, tmp_path)
    output = Output(process)
    try:
        output.wait_for(r"^round 1 ", timeout=60)
        process.send_signal(signal.SIGINT)
        interrupted = time.monotonic()
        code = process.wait(timeout=40)
    finally:
        if process.poll() is None:
            process.kill()
    text = output.text()
    assert time.monotonic() - interrupted < 30, text  # at most the round that was running finishes
    assert code == EXIT_OK, text
    assert "Ctrl-C: no new round" in text and re.search(r"stopped by Ctrl-C after \d rounds", text), text
    assert "Traceback" not in text and "KeyboardInterrupt" not in text
    folder = watch_folder(tmp_path)
    trend = trend_of(folder)
    assert trend["watch"]["status"] == "stopped by Ctrl-C" and trend["summary"]["rounds"] >= 1
    assert "stopped by Ctrl-C" in (folder / "trend.html").read_text()


def test_sigterm_cuts_the_running_round_short(watch_targets, tmp_path):
    process = start_long_watch(watch_targets.healthy, tmp_path)
    output = Output(process)
    try:
        deadline = time.monotonic() + 60
        while not list(tmp_path.glob("sandbox/watch-*/logs/round-001.log")):  # round 1 has started
            assert time.monotonic() < deadline and process.poll() is None, output.text()
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    text = output.text()
    assert code == EXIT_OK, text
    assert "SIGTERM: cutting the running round short" in text and "stopped by SIGTERM after 1 rounds" in text
    [first] = trend_of(watch_folder(tmp_path))["rounds"]
    assert first["cut_short"] and first["problem"].startswith("cut short"), first
    assert not first["failed"], first  # stopping the watch is not a failure of the platform


# -- a failing round ----------------------------------------------------------------------------
def test_a_failing_round_exits_1_and_is_marked_on_the_page(watch_targets, tmp_path):
    done = examday_cli("watch", "--interval", "5s", "--for", "1s", "--target", str(watch_targets.failing),
                       "--reports-dir", str(tmp_path), cwd=tmp_path)
    assert done.returncode == EXIT_FAILED, done.stdout + done.stderr
    assert "1 failed (round 1)" in done.stdout and "DUR-LAT-01" in done.stdout
    folder = watch_folder(tmp_path)
    page = (folder / "trend.html").read_text()
    assert re.search(r'<tr class="failed" id="round-1">.*NO-GO.*DUR-LAT-01', page, flags=re.DOTALL)
    assert "1 of 1 rounds failed (round 1)" in page
    assert page.count('class="failed-round"') == 5  # the failed round marked in every chart
    assert 'class="threshold"' in page and "limit 0.001 ms" in page


def test_a_round_over_its_timeout_is_stopped_and_fails(watch_targets, tmp_path):
    done = examday_cli("watch", "--interval", "5s", "--for", "1s", "--round-timeout", "1s",
                       "--target", str(watch_targets.healthy), "--reports-dir", str(tmp_path), cwd=tmp_path)
    assert done.returncode == EXIT_FAILED, done.stdout + done.stderr
    [only] = trend_of(watch_folder(tmp_path))["rounds"]
    assert only["verdict"] == "ERROR" and only["problem"] == "timed out after 1s", only


# -- a round pytest refuses ---------------------------------------------------------------------
def test_a_round_pytest_refuses_stops_the_watch_with_exit_2(watch_targets, tmp_path):
    waivers = tmp_path / "waivers.toml"
    waivers.write_text("not = [valid toml\n")
    done = examday_cli("watch", "--interval", "5s", "--for", "1m", "--target", str(watch_targets.healthy),
                       "--waivers", str(waivers), "--reports-dir", str(tmp_path), cwd=tmp_path, timeout=60)
    assert done.returncode == EXIT_USAGE, done.stdout + done.stderr
    assert done.stderr.count("error:") == 1 and "cannot read the waiver file" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_no_planted_secret_appears_in_any_file_of_the_watch(watched):
    """The rounds' records, their pytest output in logs/, the trend page and data."""
    from examday.sandbox.layout import SandboxPaths
    from tests.report.helpers import files_holding, planted_secrets

    _done, folder, _seconds = watched
    assert list((folder / "logs").glob("round-*.log"))
    assert files_holding(folder, planted_secrets(SandboxPaths.default())) == {}


# -- the team's Prometheus scrapes the watch; its Alertmanager gets the pages ---------------------
class ScrapedBySandboxPrometheus:
    """A file_sd target file for the sandbox Prometheus' examday-watch job (empty by default), on the
    sandbox network's gateway: the host address a container reaches. Removed afterwards, so the job
    scrapes nothing again (PRE-MON-03 would count a stopped watch as a target down)."""

    def __init__(self) -> None:
        from examday.sandbox.layout import SandboxPaths
        from examday.sandbox.platform import docker_client

        networks = docker_client().containers.get("exam_platform_prometheus").attrs["NetworkSettings"]["Networks"]
        self.host = next(n["Gateway"] for n in networks.values() if n.get("Gateway"))
        with socket.socket() as probe:  # a free port on that address
            probe.bind((self.host, 0))
            self.port = probe.getsockname()[1]
        self.instance = f"{self.host}:{self.port}"
        self.file = SandboxPaths.default().prometheus_targets_dir / f"examday-test-{os.getpid()}.json"
        self.file.write_text(json.dumps([{"targets": [self.instance]}]))

    def value(self, metric: str, **labels: str) -> float | None:
        selector = ",".join(f'{k}="{v}"' for k, v in {"instance": self.instance, **labels}.items())
        answer = httpx.get("http://127.0.0.1:9090/api/v1/query", params={"query": f"{metric}{{{selector}}}"})
        result = answer.json()["data"]["result"]
        return float(result[0]["value"][1]) if result else None

    def remove(self) -> None:
        self.file.unlink(missing_ok=True)


def received_watch_alerts(since: float) -> list[dict]:
    """What the sandbox's alert receiver got from Alertmanager for the watch's alerts since then."""
    from examday.watch.alerts import ALERT_NAME

    alerts = httpx.get("http://127.0.0.1:9095/alerts").json()
    return [a for a in alerts if a["received_at"] >= since and a["labels"].get("alertname") == ALERT_NAME]


def latency_alerts(since: float, status: str) -> list[dict]:
    return [a for a in received_watch_alerts(since) if a["status"] == status and a["labels"]["item"] == "DUR-LAT-01"]


def eventually(condition, timeout: float, what: str, output: Output):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, f"{what} not seen in {timeout:.0f}s; the watch said:\n{output.text()}"
        time.sleep(1)
    return found


def paging_target(source: Path, into: Path) -> Path:
    """The target `source` with [alertmanager] watch_alerts = true, written to `into`."""
    data = tomllib.loads(source.read_text())
    data["alertmanager"]["watch_alerts"] = True
    into.write_text(tomli_w.dumps(data))
    return into


def test_prometheus_scrapes_the_watch_and_alertmanager_delivers_its_page_then_the_resolution(
        watch_targets, tmp_path):
    """A round fails (p95 limit 0.001 ms): Prometheus sees the watch's NO-GO and the item at 0, and the
    receiver gets the firing alert with the item, phase and remediation. The target then says the real
    limit again (each round reads it afresh): a GO round, the item at 1, and the resolution delivered."""
    scraped, since = ScrapedBySandboxPrometheus(), time.time()
    target = paging_target(watch_targets.failing, tmp_path / "examday.toml")
    process = subprocess.Popen(
        [sys.executable, "-m", "examday.cli.main", "watch", "--interval", "5s", "--for", "5m",
         "--target", str(target), "--reports-dir", str(tmp_path), "--metrics-listen", scraped.instance],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    output = Output(process)
    try:
        eventually(lambda: scraped.value("examday_round_go") == 0, 120, "a NO-GO round in Prometheus", output)
        assert scraped.value("examday_item_passed", item="DUR-LAT-01") == 0
        [firing, *_] = eventually(lambda: latency_alerts(since, "firing"), 60, "the firing alert at the receiver",
                                  output)
        assert firing["labels"]["phase"] == "during" and firing["labels"]["target"] == "sandbox", firing
        assert firing["annotations"]["summary"].startswith("DUR-LAT-01: ") and firing["annotations"]["remediation"]
        paging_target(watch_targets.healthy, target)
        eventually(lambda: scraped.value("examday_round_go") == 1, 120, "a GO round in Prometheus", output)
        assert scraped.value("examday_item_passed", item="DUR-LAT-01") == 1
        eventually(lambda: latency_alerts(since, "resolved"), 60, "the resolution at the receiver", output)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == EXIT_FAILED, output.text()  # one round failed
    finally:
        scraped.remove()
        if process.poll() is None:
            process.kill()
