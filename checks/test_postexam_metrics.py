"""Post-Exam / Capture Metrics: the metrics bundle (`examday capture`), written into this run's record.

Replaces capture-metrics.sh: pool usage against the backend's real capacity,
slow requests by a numeric threshold, errors by status class, Redis stats,
container resources, proxy errors, sessions by status, a request-ID sample.
"""

from __future__ import annotations

import pytest

from examday.capture.bundle import INDEX_NAME, SUMMARY_NAME, capture_window_start, write_bundle
from examday.capture.sections import SECTIONS, Sources
from examday.checklist import Impact, item

pytestmark = pytest.mark.postexam
RUNBOOK = "Post-Exam / Capture Metrics"


@item("POST-MET-01", "Capture final metrics (capture-metrics.sh): every section captured into the record",
      runbook=RUNBOOK, impact=Impact.HIGH,
      remediation="Fix what the failed sections name and capture again with `examday capture DIR` before "
                  "logs rotate away; the post-mortem starts from this bundle.",
      references=("docs/platform.md#metrics-and-monitoring", "docs/platform.md#logs"))
def test_final_metrics_captured(docker_engine, postgres, redis_db, examday_config, record_attachment,
                                record_redactor, evidence):
    sources = Sources(examday_config, docker_engine, postgres, redis_db, since=capture_window_start(examday_config))
    result = write_bundle(record_attachment("capture"), sources, record_redactor)
    evidence.record(window_since=result.index["window_since"], captured=result.sections, not_captured=result.errors,
                    files=sorted(p.name for p in result.path.iterdir()))
    assert (result.path / INDEX_NAME).is_file() and (result.path / SUMMARY_NAME).is_file()
    assert not result.errors, "not captured: " + "; ".join(f"{k}: {v}" for k, v in result.errors.items())
    assert set(result.sections) == set(SECTIONS)
