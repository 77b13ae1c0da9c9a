"""The capture bundle's own guarantees: all or nothing on disk, a dead section costs only itself, redacted."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from examday.capture import bundle
from examday.capture.bundle import CaptureError, write_bundle
from examday.capture.sections import Sources
from examday.config import ExamdayConfig
from examday.probes.errors import Unreachable
from examday.report.redaction import Redactor

SECRET = "s3cret-password-value"


def config() -> ExamdayConfig:
    return ExamdayConfig.model_validate({"target": {"name": "unit", "kind": "sandbox"},
                                         "api": {"base_url": "http://127.0.0.1:9"}})


def sources() -> Sources:
    return Sources(config(), docker=None, postgres=None, redis=None,
                   since=dt.datetime(2026, 11, 28, 8, tzinfo=dt.timezone.utc))


def dead_redis(_sources: Sources) -> dict:
    raise Unreachable("Redis unreachable (INFO): connection refused", dependency="redis")


@pytest.fixture
def sections(monkeypatch):
    """Two sections that read nothing external, one of them leaking a secret, and a dead one."""
    chosen = {"pool": lambda _s: {"backend_connections": 3, "pool_usage": 0.1},
              "proxy": lambda _s: {"log_error_sample": [f"dial postgres://exam_user:{SECRET}@db failed"]},
              "redis": dead_redis}
    monkeypatch.setattr(bundle, "SECTIONS", chosen)
    return chosen


def test_a_dead_section_is_an_error_in_the_index_and_the_rest_is_written(tmp_path, sections):
    result = write_bundle(tmp_path / "capture", sources(), Redactor([SECRET]))
    assert result.sections == ["pool", "proxy"]
    assert "connection refused" in result.errors["redis"]
    index = json.loads((tmp_path / "capture" / "capture.json").read_text())
    assert index["errors"] == result.errors and set(index["sections"]) == {"pool", "proxy"}
    assert json.loads((tmp_path / "capture" / "pool.json").read_text())["backend_connections"] == 3
    assert not (tmp_path / "capture" / "redis.json").exists()
    assert "Sections not captured" in (tmp_path / "capture" / "summary.html").read_text()


def test_no_file_of_the_bundle_holds_the_secret(tmp_path, sections):
    write_bundle(tmp_path / "capture", sources(), Redactor([SECRET]))
    for path in (tmp_path / "capture").iterdir():
        assert SECRET not in path.read_text(), path.name


def test_an_existing_bundle_is_never_overwritten(tmp_path, sections):
    (tmp_path / "capture").mkdir()
    (tmp_path / "capture" / "notes.txt").write_text("earlier capture")
    with pytest.raises(CaptureError, match="already exists and is not empty"):
        write_bundle(tmp_path / "capture", sources(), Redactor())
    assert [p.name for p in (tmp_path / "capture").iterdir()] == ["notes.txt"]


def test_an_interrupted_capture_leaves_nothing_under_the_name(tmp_path, sections, monkeypatch):
    def interrupted(_sources: Sources) -> dict:
        raise KeyboardInterrupt

    sections["sessions"] = interrupted
    with pytest.raises(KeyboardInterrupt):
        write_bundle(tmp_path / "capture", sources(), Redactor())
    assert list(tmp_path.iterdir()) == []
