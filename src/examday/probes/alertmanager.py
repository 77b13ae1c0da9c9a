"""Alertmanager's HTTP API: health, receivers and their integrations, notification counters.

`post_alert` is the one write, used only by the test-alert item, which runs
only in the sandbox or when the operator passes --fire-test-alert.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from examday.probes.errors import BadResponse
from examday.probes.json_api import get_json, get_text, post_json

DEPENDENCY = "alertmanager"
_NOTIFICATIONS = re.compile(
    r'^alertmanager_notifications(_failed)?_total\{[^}]*integration="([^"]+)"[^}]*\}\s+(\S+)', re.MULTILINE)


@dataclass(frozen=True)
class Receiver:
    name: str
    integrations: list[str]  # e.g. ["webhook"], ["slack", "email"]; empty: alerts go nowhere


@dataclass(frozen=True)
class Notifications:
    sent: dict[str, float]  # integration -> notifications attempted
    failed: dict[str, float]


class AlertmanagerProbe:
    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.url, self.timeout = url.rstrip("/"), timeout

    def ready(self) -> bool:
        get_text(f"{self.url}/-/ready", self.timeout, DEPENDENCY)
        return True

    def receivers(self) -> list[Receiver]:
        """Receivers from the running configuration, with the integrations each one has."""
        status = get_json(f"{self.url}/api/v2/status", self.timeout, DEPENDENCY)
        try:
            config = yaml.safe_load(status["config"]["original"]) or {}
        except (KeyError, TypeError, yaml.YAMLError) as error:
            raise BadResponse(f"{self.url}/api/v2/status: no readable configuration ({error})",
                              dependency=DEPENDENCY) from None
        return [Receiver(r.get("name", "?"), sorted(k.removesuffix("_configs") for k in r if k.endswith("_configs")
                                                   and r[k]))
                for r in config.get("receivers", []) or []]

    def notifications(self) -> Notifications:
        sent: dict[str, float] = {}
        failed: dict[str, float] = {}
        for is_failed, integration, value in _NOTIFICATIONS.findall(get_text(f"{self.url}/metrics", self.timeout,
                                                                             DEPENDENCY)):
            (failed if is_failed else sent)[integration] = float(value)
        return Notifications(sent, failed)

    def post_alert(self, labels: dict[str, str], annotations: dict[str, str], starts_at: str, ends_at: str) -> None:
        post_json(f"{self.url}/api/v2/alerts",
                  [{"labels": labels, "annotations": annotations, "startsAt": starts_at, "endsAt": ends_at}],
                  self.timeout, DEPENDENCY)
