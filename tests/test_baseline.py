"""Drift and loss against the freeze baseline (pure comparisons; the sandbox tests show them live)."""

from __future__ import annotations

from dataclasses import replace

from examday.facts.baseline import Baseline, drift, losses


def baseline(**changes) -> Baseline:
    base = Baseline(taken_at="2026-11-28T08:00:00+00:00", target="t", exam="E1",
                    images={"backend": "sha256:aaa", "redis": "sha256:bbb"},
                    env_digests={"backend": {"EXAM_MODE": "sha256:1"}},
                    env_keys={"backend": ["DATABASE_URL", "EXAM_MODE"]},
                    compose_digest="sha256:c", config_digest="x", migration_version="0007",
                    counts={"sessions": 10, "answers": 100, "submissions": 4})
    return replace(base, **changes)


def test_nothing_changed_is_no_drift():
    assert drift(baseline(), baseline()) == []


def test_a_changed_image_env_value_key_set_compose_or_migration_is_named():
    now = baseline(images={"backend": "sha256:new", "redis": "sha256:bbb"},
                   env_digests={"backend": {"EXAM_MODE": "sha256:2"}},
                   env_keys={"backend": ["DATABASE_URL", "EXAM_MODE", "DEBUG"]},
                   compose_digest="sha256:d", migration_version="0008")
    changes = drift(baseline(), now)
    assert any(c.startswith("backend: image changed") for c in changes)
    assert "backend: EXAM_MODE changed" in changes
    assert any("added ['DEBUG']" in c for c in changes)
    assert "the compose configuration changed" in changes
    assert "schema migration 0007 -> 0008" in changes


def test_a_stopped_container_or_retuned_examday_config_is_not_drift():
    now = baseline(images={"backend": "sha256:aaa"}, config_digest="y")
    assert drift(baseline(), now) == []


def test_fewer_rows_than_at_the_freeze_is_a_loss_more_is_not():
    assert losses(baseline(), {"sessions": 12, "answers": 99, "submissions": 4}) == [
        "answers: 99 now, 100 at the freeze"]


def _flag(value, at="2026-11-28T08:00:00+00:00", exists=True):
    return {"exists": exists, "value": value, "updated_at": at, "updated_by": "ops-uuid"}


def test_exam_mode_switched_off_mid_exam_is_drift():
    from examday.facts.baseline import flag_drift

    changes = flag_drift({"EXAM_MODE": _flag(True)}, {"EXAM_MODE": _flag(False, "2026-11-28T09:30:00+00:00")})
    assert changes == ["flag EXAM_MODE changed true -> false (set 2026-11-28T09:30:00+00:00 by ops-uuid)"]


def test_a_flag_switched_off_and_back_on_is_drift_too():
    from examday.facts.baseline import flag_drift

    changes = flag_drift({"FREEZE_UPDATES": _flag(False)},
                         {"FREEZE_UPDATES": _flag(False, "2026-11-28T09:31:00+00:00")})
    assert len(changes) == 1 and "set again" in changes[0] and "off in between" in changes[0]


def test_flags_unchanged_are_no_drift_and_a_deleted_row_is():
    from examday.facts.baseline import flag_drift

    assert flag_drift({"EXAM_MODE": _flag(True)}, {"EXAM_MODE": _flag(True)}) == []
    assert "true -> no row" in flag_drift({"EXAM_MODE": _flag(True)},
                                          {"EXAM_MODE": _flag(None, None, exists=False)})[0]
