"""A NO-GO round pages: one alert per failed item, renewed while it fails, resolved when it passes again
(watch/alerts.py). Alertmanager is a recording stand-in here; the sandbox's real one is next."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from examday.probes.errors import Unreachable
from examday.watch.alerts import ALERT_NAME, AlertSender
from examday.watch.summary import RoundSummary
from tests.watch.test_exposition import INFO, T0


class RecordingAlertmanager:
    """Stands in for Alertmanager's API: keeps every alert posted; `down` makes posts fail."""

    def __init__(self) -> None:
        self.posted: list[dict] = []
        self.down = False

    def post_alert(self, labels, annotations, starts_at, ends_at) -> None:  # noqa: ANN001
        if self.down:
            raise Unreachable("http://127.0.0.1:9093: connection refused", dependency="alertmanager")
        self.posted.append({"labels": labels, "annotations": annotations, "startsAt": starts_at, "endsAt": ends_at})


def a_round(tmp_path: Path, number: int, failed: dict[str, str]) -> RoundSummary:
    record = tmp_path / f"round-{number}"
    record.mkdir()
    items = [{"id": i, "outcome": "failed", "message": m, "remediation": f"fix {i}"} for i, m in failed.items()]
    (record / "results.json").write_text(json.dumps({"items": items}))
    started = T0 + dt.timedelta(minutes=number)
    return RoundSummary(number=number, started_at=started, ended_at=started + dt.timedelta(seconds=10),
                        verdict="NO-GO" if failed else "GO", failed_items=sorted(failed), record=record.name)


def sender(tmp_path: Path, alertmanager: RecordingAlertmanager, notices: list[str]) -> AlertSender:
    clock = iter(T0 + dt.timedelta(minutes=n, seconds=30) for n in range(1, 100))
    return AlertSender(alertmanager, INFO, lambda s: tmp_path / str(s.record) / "results.json", notices.append,
                       now=lambda: next(clock))


def test_a_failed_item_fires_is_renewed_while_failing_and_resolves_when_it_passes(tmp_path):
    alertmanager, notices = RecordingAlertmanager(), []
    send = sender(tmp_path, alertmanager, notices)
    rounds = [a_round(tmp_path, 1, {"DUR-LAT-01": "p95 is 930 ms"})]
    send(rounds)
    [first] = alertmanager.posted
    assert first["labels"] == {"alertname": ALERT_NAME, "item": "DUR-LAT-01", "phase": "during",
                               "target": INFO.target_name, "exam": "MED-2027-01"}
    assert first["annotations"] == {"summary": "DUR-LAT-01: p95 is 930 ms", "remediation": "fix DUR-LAT-01"}
    assert first["startsAt"] == "2030-06-01T09:01:00Z" and first["endsAt"] > "2030-06-01T09:01:30Z"
    rounds.append(a_round(tmp_path, 2, {"DUR-LAT-01": "p95 is 900 ms"}))
    send(rounds)
    assert alertmanager.posted[1]["startsAt"] == first["startsAt"]  # the same alert, renewed
    rounds.append(a_round(tmp_path, 3, {}))
    send(rounds)
    resolved = alertmanager.posted[2]
    assert resolved["labels"] == first["labels"] and resolved["endsAt"] == "2030-06-01T09:03:30Z"
    assert resolved["annotations"]["summary"] == "DUR-LAT-01: passed again"
    rounds.append(a_round(tmp_path, 4, {}))
    send(rounds)
    assert len(alertmanager.posted) == 3 and notices == []  # nothing more to say


def test_a_post_that_fails_is_told_and_tried_again_never_stopping_the_watch(tmp_path):
    alertmanager, notices = RecordingAlertmanager(), []
    send = sender(tmp_path, alertmanager, notices)
    alertmanager.down = True
    rounds = [a_round(tmp_path, 1, {"DUR-RED-01": "redis unavailable"})]
    send(rounds)
    assert alertmanager.posted == [] and "alert for DUR-RED-01 not sent to Alertmanager" in notices[0]
    alertmanager.down = False
    rounds.append(a_round(tmp_path, 2, {"DUR-RED-01": "redis unavailable"}))
    send(rounds)
    assert [p["labels"]["item"] for p in alertmanager.posted] == ["DUR-RED-01"]
