"""Test alerting end to end: a synthetic alert goes through Alertmanager, reaches the receiver,
and is resolved again.

"Alertmanager answers" proves nothing about a page reaching anyone. Delivery is
confirmed by the receiver's own record when one can be read (the sandbox's
webhook sink), else by Alertmanager's notification counters: a notification
attempted for the receiver's integration and none of them failed.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from examday.config import ExamdayConfig
from examday.facts.ports import DockerReads
from examday.facts.sandbox_target import served_by_the_sandbox
from examday.probes.alertmanager import AlertmanagerProbe, Notifications
from examday.probes.json_api import get_json

TEST_ALERT_NAME = "ExamdayTestAlert"
# As often as an operator's shell loop polls: a GET of the receiver's record or of Alertmanager's
# counters is cheap, and each wait ends within a tenth of a second of the delivery it waits for.
POLL_SECONDS = 0.1


@dataclass
class Delivery:
    test_id: str
    confirmed_by: str
    delivered_after_s: float | None = None
    resolved_after_s: float | None = None
    failed_notifications: dict[str, float] = field(default_factory=dict)  # integration -> failures meanwhile

    def as_evidence(self) -> dict[str, Any]:
        return vars(self).copy()


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _wait(condition: Callable[[], bool], timeout: float) -> float | None:
    """Seconds until `condition()` held, or None if it did not within `timeout`."""
    started = time.monotonic()
    while True:
        if condition():
            return round(time.monotonic() - started, 2)
        if time.monotonic() - started > timeout:
            return None
        time.sleep(POLL_SECONDS)


class _ReceiverRecord:
    """The receiver's record of what arrived (a webhook sink's GET)."""

    def __init__(self, url: str, timeout: float) -> None:
        self.url, self.timeout = url, timeout

    def has(self, test_id: str, status: str) -> bool:
        received = get_json(self.url, self.timeout, "alert receiver") or []
        return any(a.get("labels", {}).get("examday_test") == test_id and a.get("status") == status
                   for a in received)


class _Counters:
    """Alertmanager's own notification counters, against a reading taken before the test."""

    def __init__(self, probe: AlertmanagerProbe) -> None:
        self.probe = probe
        self.before: Notifications = probe.notifications()

    def grew(self, steps: int) -> bool:
        now = self.probe.notifications()
        return sum(now.sent.values()) - sum(self.before.sent.values()) >= steps

    def failed_since(self) -> dict[str, float]:
        now = self.probe.notifications()
        return {k: v - self.before.failed.get(k, 0) for k, v in now.failed.items() if v > self.before.failed.get(k, 0)}


def send_test_alert(probe: AlertmanagerProbe, record_url: str | None, timeout: float) -> Delivery:
    """Fire, confirm delivery, resolve, confirm resolution. Always resolves what it fired."""
    test_id = uuid.uuid4().hex[:12]
    labels = {"alertname": TEST_ALERT_NAME, "examday_test": test_id, "severity": "none"}
    annotations = {"summary": "examday test alert: confirms delivery end to end; resolves itself"}
    record = _ReceiverRecord(record_url, probe.timeout) if record_url else None
    counters = _Counters(probe)
    delivery = Delivery(test_id, "receiver record" if record else "Alertmanager notification counters")
    now = dt.datetime.now(dt.timezone.utc)
    probe.post_alert(labels, annotations, _iso(now), _iso(now + dt.timedelta(minutes=10)))
    try:
        delivery.delivered_after_s = _wait(
            (lambda: record.has(test_id, "firing")) if record else (lambda: counters.grew(1)), timeout)
    finally:
        probe.post_alert(labels, annotations, _iso(now), _iso(dt.datetime.now(dt.timezone.utc)))
    if delivery.delivered_after_s is not None:
        delivery.resolved_after_s = _wait(
            (lambda: record.has(test_id, "resolved")) if record else (lambda: counters.grew(2)), timeout)
    delivery.failed_notifications = counters.failed_since()
    return delivery


@dataclass(frozen=True)
class NotFired:
    """The test alert was not sent: it would page on-call unasked."""

    reason: str


def fire_test_alert_if_allowed(docker: DockerReads, config: ExamdayConfig, asked: bool) -> Delivery | NotFired:
    """PRE-MON-07's reading. Unasked only on examday's own sandbox, told by its containers (a copied
    toml keeps kind = "sandbox"); anywhere else only with --fire-test-alert (`asked`)."""
    cfg = config.alertmanager
    assert cfg is not None
    if not asked and not served_by_the_sandbox(docker, str(cfg.url), "alertmanager"):
        return NotFired("sends a real alert to the on-call receiver: run with --fire-test-alert to do it")
    return send_test_alert(AlertmanagerProbe(cfg.url, cfg.timeout_seconds), cfg.receiver_record_url,
                           cfg.delivery_timeout_seconds)
