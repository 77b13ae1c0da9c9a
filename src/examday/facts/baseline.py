"""The freeze baseline: what the platform looked like an hour before the exam.

Taken by the freeze phase and stored for later phases: `during` fails on drift
(an image, an env value or a configuration changed mid-exam), `postexam` on
loss (fewer sessions, answers or submissions than at the freeze). Env values
are kept only as sha256 digests, and only for allow-listed keys; for the rest
only the set of key names is kept, so a record never holds a secret.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from examday.config import ExamdayConfig, config_digest
from examday.facts.containers import find_containers
from examday.facts.exam_mode import read_flag
from examday.facts.local_state import read_json, state_dir, write_json
from examday.facts.losses import snapshot_sessions
from examday.facts.ports import DatabaseReads, DockerReads

COUNTS_SQL = {
    "sessions": "SELECT count(*) FROM test_sessions",
    "answers": "SELECT count(*) FROM session_answers",
    "submissions": "SELECT count(*) FROM test_sessions WHERE status IN ('SUBMITTED', 'EXPIRED')",
}
MIGRATION_SQL = "SELECT version_num FROM alembic_version"
FILE_NAME = "freeze-baseline.json"


def _digest(value: str) -> str:
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


@dataclass
class Baseline:
    taken_at: str
    target: str
    exam: str | None
    images: dict[str, str] = field(default_factory=dict)  # container -> image id (digest)
    env_digests: dict[str, dict[str, str]] = field(default_factory=dict)  # container -> key -> sha256
    env_keys: dict[str, list[str]] = field(default_factory=dict)  # container -> every key name
    compose_digest: str | None = None
    config_digest: str = ""  # examday's own config at the freeze: evidence, not drift (thresholds may be tuned)
    migration_version: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    # per session: answer rows, and the closed (submitted/expired) ones: what `losses` compares
    session_answers: dict[str, int] = field(default_factory=dict)
    closed_sessions: list[str] = field(default_factory=list)
    # the flag rows the exam depends on (EXAM_MODE, FREEZE_UPDATES): key -> value and when it was last set
    flags: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_evidence(self) -> dict[str, Any]:
        evidence = asdict(self)
        # thousands of session ids say nothing to a reader: the file keeps them, evidence counts them
        evidence["session_answers"] = f"{len(self.session_answers)} sessions"
        evidence["closed_sessions"] = f"{len(self.closed_sessions)} sessions"
        return evidence


def take_baseline(docker: DockerReads, postgres: DatabaseReads, compose: dict[str, Any] | None,
                  config: ExamdayConfig) -> Baseline:
    """The freeze baseline: the configuration, and the data that must not shrink (every session's answers)."""
    baseline = configuration_now(docker, postgres, compose, config)
    baseline.counts = current_counts(postgres)
    snapshot = snapshot_sessions(postgres)
    baseline.session_answers, baseline.closed_sessions = snapshot.answers, snapshot.closed
    return baseline


def configuration_now(docker: DockerReads, postgres: DatabaseReads, compose: dict[str, Any] | None,
                      config: ExamdayConfig) -> Baseline:
    """What `drift` compares (images, env, compose, migration, flags), without the data: a watch
    round reads two small rows from the database, whatever the size of the exam."""
    allow = set(config.platform.env_allowlist)
    baseline = Baseline(
        taken_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        target=config.target.name, exam=config.exam.id if config.exam else None,
        config_digest=config_digest(config),
        compose_digest=_digest(json.dumps(compose, sort_keys=True)) if compose is not None else None)
    for container in find_containers(docker, config).values():
        if container is None or not container.is_running:
            continue
        baseline.images[container.name] = container.image_id
        baseline.env_keys[container.name] = sorted(container.env)
        baseline.env_digests[container.name] = {k: _digest(v) for k, v in sorted(container.env.items())
                                                if k in allow}
    baseline.migration_version = str(postgres.scalar(MIGRATION_SQL))
    baseline.flags = flag_states(postgres, config)
    return baseline


def drift(baseline: Baseline, now: Baseline) -> list[str]:
    """What changed since the freeze, one readable line each (empty: nothing drifted)."""
    changes = []
    for name, image in baseline.images.items():
        # A container that is down now is an outage, which the health items judge; drift is
        # about what runs differently.
        if name in now.images and now.images[name] != image:
            changes.append(f"{name}: image changed {image[:19]} -> {now.images[name][:19]}")
    for name, keys in baseline.env_keys.items():
        current = now.env_keys.get(name)
        if current is None:
            continue
        added, removed = sorted(set(current) - set(keys)), sorted(set(keys) - set(current))
        if added or removed:
            changes.append(f"{name}: env keys added {added} removed {removed}")
        for key, value in baseline.env_digests.get(name, {}).items():
            if now.env_digests.get(name, {}).get(key, value) != value:
                changes.append(f"{name}: {key} changed")
    if baseline.compose_digest and now.compose_digest and baseline.compose_digest != now.compose_digest:
        changes.append("the compose configuration changed")
    if baseline.migration_version != now.migration_version:
        changes.append(f"schema migration {baseline.migration_version} -> {now.migration_version}")
    changes += flag_drift(baseline.flags, now.flags)
    return changes


def flag_states(postgres: DatabaseReads, config: ExamdayConfig) -> dict[str, dict[str, Any]]:
    """The exam's flag rows as they stand: value, when and by whom they were last set."""
    cfg = config.exam_mode
    keys = [key for key in (cfg.flag_key, cfg.freeze_updates_key) if key]
    states = {}
    for key in keys:
        row = read_flag(postgres, cfg.flag_table, key)
        states[key] = {"exists": row.exists, "value": row.value,
                       "updated_at": row.updated_at.isoformat() if row.updated_at else None,
                       "updated_by": row.updated_by}
    return states


def flag_drift(before: dict[str, dict[str, Any]], now: dict[str, dict[str, Any]]) -> list[str]:
    """A flag switched, or switched and back (its updated_at moved), since the freeze."""
    changes = []
    for key, then in before.items():
        current = now.get(key)
        if current is None:
            continue
        if current["value"] != then["value"] or current["exists"] != then["exists"]:
            changes.append(f"flag {key} changed {_flag_word(then)} -> {_flag_word(current)} "
                           f"(set {current['updated_at']} by {current['updated_by'] or 'unknown'})")
        elif current["updated_at"] != then["updated_at"]:
            changes.append(f"flag {key} was set again at {current['updated_at']} (still {_flag_word(current)}): "
                           "it may have been off in between")
    return changes


def _flag_word(state: dict[str, Any]) -> str:
    return "no row" if not state["exists"] else str(state["value"]).lower()


def current_counts(postgres: DatabaseReads) -> dict[str, int]:
    return {name: int(postgres.scalar(sql)) for name, sql in COUNTS_SQL.items()}


def losses(baseline: Baseline, counts: dict[str, int]) -> list[str]:
    """Totals that went down since the freeze: rows that should never disappear."""
    return [f"{name}: {counts[name]} now, {before} at the freeze"
            for name, before in baseline.counts.items() if counts.get(name, before) < before]


def baseline_path(config: ExamdayConfig) -> Path:
    return state_dir(config) / FILE_NAME


def save_baseline(baseline: Baseline, config: ExamdayConfig) -> Path:
    path = baseline_path(config)
    write_json(path, asdict(baseline))
    return path


def load_baseline(config: ExamdayConfig) -> Baseline | None:
    data = read_json(baseline_path(config))
    return None if data is None else Baseline(**data)
