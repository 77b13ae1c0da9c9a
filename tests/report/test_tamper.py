"""Any change to any file of a signed record is caught: by `examday verify`, and by sha256sum/ssh-keygen alone."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from examday.report.signing import NAMESPACE
from examday.report.verify import check_record
from tests.report.helpers import SyntheticChecklist, examday

ITEMS = """
    @item("FRZ-INF-01", "Services healthy", remediation="r")
    @pytest.mark.freeze
    def test_ok(evidence):
        evidence.record(services=8)

    @item("FRZ-INF-02", "Backups current", remediation="r")
    @pytest.mark.freeze
    def test_fails():
        assert False, "the newest backup is 30 h old"
"""
HASHED = ["checklist.html", "pytest-report.html", "results.json", "junit.xml", "VERIFY.txt"]
SIGNATURE = "signatures/dana@exam-board.sig"


@pytest.fixture(scope="module")
def signed_record(tmp_path_factory: pytest.TempPathFactory, keys: dict[str, Path]) -> Path:
    site = SyntheticChecklist(tmp_path_factory.mktemp("tamper") / "site").items(ITEMS)
    site.run("-m", "freeze", "--sign-key", str(keys["dana"]))
    [record] = site.records
    assert check_record(record).ok
    return record


@pytest.fixture
def record(signed_record: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(signed_record, tmp_path / "record"))


def flip_byte(path: Path, position: int) -> None:
    data = bytearray(path.read_bytes())
    data[position] ^= 0x01
    path.write_bytes(bytes(data))


def sha256sum_check(record: Path) -> int:
    return subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=record, capture_output=True).returncode


def ssh_keygen_check(record: Path) -> int:
    with (record / "SHA256SUMS").open("rb") as manifest:
        return subprocess.run(["ssh-keygen", "-Y", "check-novalidate", "-n", NAMESPACE, "-s",
                               str(record / SIGNATURE)], stdin=manifest, capture_output=True).returncode


@pytest.mark.parametrize("name", HASHED)
def test_one_changed_byte_in_any_file_is_named_by_verify_and_caught_by_sha256sum(record, name):
    path = record / name
    flip_byte(path, path.stat().st_size // 2)
    done = examday("verify", str(record))
    assert done.returncode == 1
    assert f"FAIL {name}: changed" in done.stdout
    assert sha256sum_check(record) != 0


@pytest.mark.parametrize("name", HASHED)
@pytest.mark.parametrize("where", ["first", "last"])
def test_the_first_and_last_bytes_count_too(record, name, where):
    path = record / name
    flip_byte(path, 0 if where == "first" else path.stat().st_size - 1)
    assert [p.path for p in check_record(record).problems] == [name]
    assert sha256sum_check(record) != 0


def test_an_edited_manifest_is_caught_by_its_hashes_and_its_signature(record):
    manifest = record / "SHA256SUMS"
    text = manifest.read_text()
    manifest.write_text(("1" if text[0] != "1" else "2") + text[1:])
    done = examday("verify", str(record))
    assert done.returncode == 1
    assert "BAD signature" in done.stdout and SIGNATURE in done.stdout
    assert sha256sum_check(record) != 0
    assert ssh_keygen_check(record) != 0


@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_a_changed_signature_byte_is_named(record, where):
    path = record / SIGNATURE
    size = path.stat().st_size
    flip_byte(path, {"first": 0, "middle": size // 2, "last": size - 1}[where])
    done = examday("verify", str(record))
    assert done.returncode == 1
    assert f"FAIL {SIGNATURE}: BAD signature" in done.stdout


def test_a_corrupted_signature_fails_ssh_keygen_too(record):
    path = record / SIGNATURE
    lines = path.read_text().splitlines(keepends=True)
    lines[2] = lines[2][:10] + ("A" if lines[2][10] != "A" else "B") + lines[2][11:]
    path.write_text("".join(lines))
    assert ssh_keygen_check(record) != 0
    assert examday("verify", str(record)).returncode == 1


def test_an_added_file_is_named_and_verify_txt_finds_it_with_coreutils(record):
    (record / "late-note.txt").write_text("added afterwards\n")
    done = examday("verify", str(record))
    assert done.returncode == 1 and "FAIL late-note.txt: not in SHA256SUMS" in done.stdout
    command = re.search(r"(find \. -type f.*?\n.*?SHA256SUMS \| sort\))", (record / "VERIFY.txt").read_text(),
                        re.S).group(1)
    listed = subprocess.run(["bash", "-c", command.replace("\\\n", " ")], cwd=record, capture_output=True,
                            text=True)
    assert listed.stdout.split() == ["late-note.txt"]


def test_a_removed_file_is_named_and_caught_by_sha256sum(record):
    (record / "junit.xml").unlink()
    done = examday("verify", str(record))
    assert done.returncode == 1 and "FAIL junit.xml: listed in SHA256SUMS but missing" in done.stdout
    assert sha256sum_check(record) != 0


def test_a_file_slipped_into_signatures_is_named(record):
    (record / "signatures" / "forged.sig").write_text("-----BEGIN SSH SIGNATURE-----\nAAAA\n"
                                                      "-----END SSH SIGNATURE-----\n")
    done = examday("verify", str(record))
    assert done.returncode == 1 and "FAIL signatures/forged.sig: BAD signature" in done.stdout


def test_the_untouched_copy_still_verifies(record):
    assert examday("verify", str(record)).returncode == 0
    assert sha256sum_check(record) == 0 and ssh_keygen_check(record) == 0
