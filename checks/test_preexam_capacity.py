"""Beyond the runbook: what an experienced operator also checks the day before.

Capacity the runbook gets wrong ("< 20 connections" only holds for one worker),
disk the database will need, and the images its Rollback Plan assumes.
"""

from __future__ import annotations

import pytest

from examday.checklist import Impact, item
from examday.facts.capacity import backend_capacity
from examday.facts.disk import database_volume
from examday.facts.rollback import as_evidence, rollback_candidates, without_previous

pytestmark = pytest.mark.preexam
RUNBOOK = "Beyond the runbook (docs/platform.md: backend process model)"


@item("PRE-CAP-01", "Database connection capacity fits max_connections with headroom", runbook=RUNBOOK,
      remediation="Lower UVICORN_WORKERS or the pool (pool_size + max_overflow), or raise PostgreSQL's "
                  "max_connections, so that workers x pool fits with headroom; restart to apply.",
      references=("docs/platform.md#processes-and-the-connection-pool", "docs/platform.md#traps"))
def test_connection_capacity_fits_max_connections(docker_engine, postgres, examday_config, evidence):
    capacity = backend_capacity(docker_engine, postgres, examday_config)
    evidence.record(**capacity.as_evidence())
    assert capacity.workers > 0, "no uvicorn process found in the backend: its pools cannot be counted"
    assert capacity.assessment.fits, (
        f"{capacity.workers} workers x ({examday_config.platform.pool_size} + {examday_config.platform.max_overflow}) "
        f"= {capacity.capacity} connections, but only {capacity.assessment.allowed} fit under max_connections "
        f"{capacity.assessment.max_connections} with {examday_config.thresholds.connection_headroom:.0%} headroom")


@item("PRE-CAP-02", "Disk headroom on the database volume", runbook=RUNBOOK, impact=Impact.HIGH,
      remediation="Free space or grow the database volume: answers, WAL and backups all grow during an exam.",
      references=("docs/platform.md#containers-and-deployment",))
def test_database_volume_has_free_space(docker_engine, postgres, examday_config, evidence):
    volume = database_volume(docker_engine, postgres, examday_config)
    evidence.record(**volume.as_evidence(), database_bytes=postgres.database_size(examday_config.postgres.dbname))
    assert volume.free_pct >= examday_config.thresholds.disk_free_pct, (
        f"only {volume.free_pct:.1f}% free on the volume of {volume.path} "
        f"(need {examday_config.thresholds.disk_free_pct:g}%)")


@item("PRE-CAP-03", "Rollback readiness: the previous image of every rebuilt service is present", runbook=RUNBOOK,
      impact=Impact.HIGH,
      remediation="Keep the previous release's image on the host (tag it before deploying) so the Rollback "
                  "Plan works without a registry during the exam.",
      references=("docs/platform.md#containers-and-deployment",))
def test_previous_images_present_for_rollback(docker_engine, examday_config, evidence):
    candidates = rollback_candidates(docker_engine, examday_config)
    evidence.record(rollback=as_evidence(candidates))
    missing = without_previous(candidates)
    assert not missing, f"no previous image to roll back to for: {', '.join(missing)}"
