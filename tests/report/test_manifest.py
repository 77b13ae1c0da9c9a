"""SHA256SUMS: what `sha256sum` writes and checks; examday also sees added files."""

from __future__ import annotations

import subprocess
from pathlib import Path

from examday.report.manifest import MANIFEST_NAME, check_manifest, record_files, write_manifest


def a_record(folder: Path) -> Path:
    folder.mkdir()
    (folder / "checklist.html").write_text("<p>checklist</p>\n")
    (folder / "results.json").write_text("{}\n")
    (folder / "signatures").mkdir()
    (folder / "signatures" / "dana.sig").write_text("not hashed: it signs the manifest\n")
    write_manifest(folder)
    return folder


def test_the_manifest_is_what_sha256sum_writes(tmp_path):
    record = a_record(tmp_path / "run")
    expected = subprocess.run(["sha256sum", "checklist.html", "results.json"], cwd=record,
                              capture_output=True, text=True, check=True).stdout
    assert (record / MANIFEST_NAME).read_text() == expected
    assert subprocess.run(["sha256sum", "-c", MANIFEST_NAME], cwd=record, capture_output=True).returncode == 0


def test_signatures_and_the_manifest_itself_are_not_listed(tmp_path):
    assert record_files(a_record(tmp_path / "run")) == ["checklist.html", "results.json"]


def test_an_intact_record_has_no_problem(tmp_path):
    assert check_manifest(a_record(tmp_path / "run")) == []


def test_changed_missing_and_added_files_are_named(tmp_path):
    record = a_record(tmp_path / "run")
    (record / "checklist.html").write_text("<p>checklist, edited</p>\n")
    (record / "results.json").unlink()
    (record / "extra.txt").write_text("slipped in later\n")
    problems = {(p.path, p.problem) for p in check_manifest(record)}
    assert problems == {("checklist.html", "changed"), ("results.json", "missing"), ("extra.txt", "added")}


def test_a_folder_without_manifest_is_not_a_record(tmp_path):
    (tmp_path / "run").mkdir()
    [problem] = check_manifest(tmp_path / "run")
    assert problem.path == MANIFEST_NAME and "missing" in problem.problem


def test_a_malformed_manifest_line_is_named(tmp_path):
    record = a_record(tmp_path / "run")
    (record / MANIFEST_NAME).write_text("not a hash  checklist.html\n")
    [problem] = check_manifest(record)
    assert "line 1" in problem.describe()
