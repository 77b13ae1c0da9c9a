"""The runbook's Common Issues (During Exam) and its database emergency, and which of them a failure's
diagnostics point to.

A failed during item names the issue it belongs to (DUR-LAT-01: High Latency); the diagnostics may
point to a cause beyond it (Redis not answering PING, a worker gone, the database not accepting
connections), which is named first: the operator acts on the cause, not on the symptom.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

COMMON_ISSUES_SECTION = "During Exam / Common Issues"


@dataclass(frozen=True)
class CommonIssue:
    name: str
    runbook: str  # where it is in the runbook
    action: str  # the runbook's action for it, in its words

    def as_record(self) -> dict[str, str]:
        return {"name": self.name, "runbook": self.runbook, "action": self.action}


HIGH_LATENCY = CommonIssue(
    "High Latency", f"{COMMON_ISSUES_SECTION} / High Latency",
    "Check the database connection pool, the slow queries (slow_sql) and the containers' resources. "
    "If the pool is exhausted: consider temporarily increasing pool_size (requires a restart).")
HIGH_ERROR_RATE = CommonIssue(
    "High Error Rate", f"{COMMON_ISSUES_SECTION} / High Error Rate",
    "Check the backend's error lines and the proxy's log; verify Redis (PING) and the database (pg_isready).")
REDIS_FAILURE = CommonIssue(
    "Redis Failure", f"{COMMON_ISSUES_SECTION} / Redis Failure",
    "Expected: rate limiting temporarily bypassed, auth still works. Monitor the logs for warnings, Redis "
    "will auto-recover. If persistent: restart Redis (`docker compose -f <prod compose> restart redis`).")
BACKEND_WORKER_FAILURE = CommonIssue(
    "Backend Worker Failure", f"{COMMON_ISSUES_SECTION} / Backend Worker Failure",
    "Expected: the other workers continue serving traffic. Monitor for recovery; restart if needed "
    "(`docker compose -f <prod compose> restart backend`).")
DATABASE_UNRESPONSIVE = CommonIssue(
    "Database unresponsive", "Emergency Procedures / Database Issues",
    "Check the container (`docker ps | grep postgres`), its logs (`docker logs <postgres> --tail=100`) and "
    "its disk (`docker exec <postgres> df -h`); if needed, restart it (`docker compose -f <prod compose> "
    "restart postgres`).")

COMMON_ISSUES = {issue.name: issue for issue in (HIGH_LATENCY, HIGH_ERROR_RATE, REDIS_FAILURE,
                                                 BACKEND_WORKER_FAILURE, DATABASE_UNRESPONSIVE)}
CAUSES = (DATABASE_UNRESPONSIVE, REDIS_FAILURE, BACKEND_WORKER_FAILURE)  # named before the symptoms
SYMPTOMS = (HIGH_LATENCY, HIGH_ERROR_RATE)


@dataclass(frozen=True)
class IssueMatch:
    issue: CommonIssue
    because: tuple[str, ...]  # what in the diagnostics points to it

    def as_record(self) -> dict[str, Any]:
        return {**self.issue.as_record(), "because": list(self.because)}

    def describe(self) -> str:
        return f"{self.issue.name} ({'; '.join(self.because)})"


def matching_issues(own: CommonIssue, signs: dict[CommonIssue, list[str]]) -> list[IssueMatch]:
    """The causes the diagnostics show, then the item's own issue (always: the item failed), then the
    other symptom when the diagnostics show it too. ``signs``: issue -> what points to it."""
    ordered = [issue for issue in CAUSES if signs.get(issue)] + [own] + [issue for issue in SYMPTOMS if signs.get(issue)]
    return [IssueMatch(issue, tuple(signs.get(issue) or ["the item failed"])) for issue in dict.fromkeys(ordered)]
