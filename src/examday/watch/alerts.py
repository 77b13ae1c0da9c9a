"""A NO-GO round pages through the target's Alertmanager: one alert per failed item, resolved when a
later round passes it (or the watch ends with it passing). Off unless `[alertmanager] watch_alerts`.

Each alert is sent with an end time a few intervals ahead, renewed by every round it still fails:
should the watch itself die, Alertmanager resolves it rather than leaving it firing for ever.
A post that fails is told on the terminal and tried again at the next round; it never stops the watch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Protocol

from examday.report.model import iso_utc
from examday.watch.info import WatchInfo
from examday.watch.summary import RoundSummary, read_results

ALERT_NAME = "ExamdayItemFailed"
RENEW_INTERVALS = 3  # an alert not renewed for this many intervals ends by itself


class PostsAlerts(Protocol):
    def post_alert(self, labels: dict[str, str], annotations: dict[str, str], starts_at: str, ends_at: str) -> None: ...


class AlertSender:
    def __init__(self, alertmanager: PostsAlerts, info: WatchInfo, record_of: Callable[[RoundSummary], Any],
                 notice: Callable[[str], None], now: Callable[[], dt.datetime] | None = None) -> None:
        self.alertmanager, self.info, self.record_of, self.notice = alertmanager, info, record_of, notice
        self.now = now or (lambda: dt.datetime.now(dt.timezone.utc))
        self.firing: dict[str, str] = {}  # item -> startsAt

    def __call__(self, rounds: list[RoundSummary]) -> None:
        last = rounds[-1]
        failures = self._failures(last)
        now = self.now()
        renew_until = now + dt.timedelta(seconds=RENEW_INTERVALS * max(self.info.interval_s, 60))
        for item, (message, remediation) in failures.items():
            starts = self.firing.get(item, iso_utc(last.started_at))
            if self._post(item, message, remediation, starts, iso_utc(renew_until)):
                self.firing[item] = starts
        for item in [i for i in self.firing if i not in failures]:
            if self._post(item, "passed again", "", self.firing[item], iso_utc(now)):
                del self.firing[item]

    def _failures(self, last: RoundSummary) -> dict[str, tuple[str, str]]:
        """Failed item -> (message, remediation), from the round's record (the summary has only IDs)."""
        failed = set(last.failed_items)
        try:
            items = read_results(self.record_of(last)).get("items", []) if last.record else []
        except (OSError, ValueError):
            items = []
        found = {i["id"]: (str(i.get("message", "")), str(i.get("remediation", ""))) for i in items if i["id"] in failed}
        return {item: found.get(item, (last.problem or "failed", "")) for item in sorted(failed)}

    def _post(self, item: str, message: str, remediation: str, starts_at: str, ends_at: str) -> bool:
        labels = {"alertname": ALERT_NAME, "item": item, "phase": "during", "target": self.info.target_name,
                  "exam": str((self.info.exam or {}).get("id", ""))}
        annotations = {"summary": f"{item}: {message}"[:1000], "remediation": remediation[:1000]}
        try:
            self.alertmanager.post_alert(labels, annotations, starts_at, ends_at)
        except Exception as error:  # noqa: BLE001 - a page that did not go out is said, never the watch's end
            self.notice(f"alert for {item} not sent to Alertmanager: {error}")
            return False
        return True
