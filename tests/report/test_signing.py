"""Signatures: made at run time with --sign-key, added later with `examday sign`, checked by `examday verify`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from examday.report.signing import NAMESPACE
from tests.report.helpers import SyntheticChecklist, allowed_signers, examday, make_ssh_key

ITEMS = """
    @item("FRZ-INF-01", "Services healthy", remediation="r")
    @pytest.mark.freeze
    def test_ok():
        pass
"""


@pytest.fixture(scope="module")
def signed_record(tmp_path_factory: pytest.TempPathFactory, keys: dict[str, Path]) -> Path:
    site = SyntheticChecklist(tmp_path_factory.mktemp("signed") / "site").items(ITEMS)
    done = site.run("-m", "freeze", "--sign-key", str(keys["dana"]))
    assert done.returncode == 0, done.stdout + done.stderr
    [record] = site.records
    return record


@pytest.fixture
def record(signed_record: Path, tmp_path: Path) -> Path:
    """A private copy of the signed record, free to sign again or break."""
    return Path(shutil.copytree(signed_record, tmp_path / "record"))


def test_the_run_signs_its_manifest_under_the_keys_name(record):
    assert [p.name for p in (record / "signatures").iterdir()] == ["dana@exam-board.sig"]


def test_verify_without_allowed_signers_reports_the_key_not_the_person(record):
    done = examday("verify", str(record))
    assert done.returncode == 0, done.stdout
    assert "signed by key ssh-ed25519 SHA256:" in done.stdout
    assert "not checked against allowed signers" in done.stdout


def test_verify_with_allowed_signers_names_who_signed(record, keys, tmp_path):
    allowed = allowed_signers(tmp_path / "allowed_signers", ("dana@exam-board", keys["dana"]))
    done = examday("verify", str(record), "--allowed-signers", str(allowed))
    assert done.returncode == 0, done.stdout
    assert "good signature by dana@exam-board" in done.stdout


def test_a_second_signer_adds_a_signature_later(record, keys, tmp_path):
    done = examday("sign", str(record), "--key", str(keys["sam"]))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (record / "signatures").iterdir()) == ["dana@exam-board.sig",
                                                                         "sam@exam-board.sig"]
    allowed = allowed_signers(tmp_path / "allowed_signers", ("dana@exam-board", keys["dana"]),
                              ("sam@exam-board", keys["sam"]))
    done = examday("verify", str(record), "--allowed-signers", str(allowed))
    assert done.returncode == 0, done.stdout
    assert "good signature by dana@exam-board" in done.stdout and "good signature by sam@exam-board" in done.stdout


def test_the_same_signer_cannot_overwrite_a_signature(record, keys):
    done = examday("sign", str(record), "--key", str(keys["dana"]))
    assert done.returncode == 2 and "already" in done.stderr


def test_a_signer_missing_from_allowed_signers_fails_naming_the_file(record, keys, tmp_path):
    examday("sign", str(record), "--key", str(keys["sam"]), "--signer", "Sam Reviewer")
    allowed = allowed_signers(tmp_path / "allowed_signers", ("dana@exam-board", keys["dana"]))
    done = examday("verify", str(record), "--allowed-signers", str(allowed))
    assert done.returncode == 1
    assert "signatures/sam-reviewer.sig" in done.stdout and "not in the allowed signers" in done.stdout


def test_a_signature_by_a_key_of_the_same_name_but_not_allowed_fails(record, tmp_path):
    impostor = make_ssh_key(tmp_path, "impostor", "dana@exam-board")
    (record / "signatures" / "dana@exam-board.sig").unlink()
    assert examday("sign", str(record), "--key", str(impostor)).returncode == 0
    real = make_ssh_key(tmp_path, "real", "dana@exam-board")
    allowed = allowed_signers(tmp_path / "allowed_signers", ("dana@exam-board", real))
    assert examday("verify", str(record), "--allowed-signers", str(allowed)).returncode == 1


def test_allowed_signers_given_but_nobody_signed_fails(record, keys, tmp_path):
    shutil.rmtree(record / "signatures")
    allowed = allowed_signers(tmp_path / "allowed_signers", ("dana@exam-board", keys["dana"]))
    done = examday("verify", str(record), "--allowed-signers", str(allowed))
    assert done.returncode == 1 and "not signed" in done.stdout


def test_an_auditor_needs_only_ssh_keygen(record, keys, tmp_path):
    allowed = allowed_signers(tmp_path / "allowed_signers", ("dana@exam-board", keys["dana"]))
    signature = record / "signatures" / "dana@exam-board.sig"
    who = subprocess.run(["ssh-keygen", "-Y", "find-principals", "-s", str(signature), "-f", str(allowed)],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert who == "dana@exam-board"
    with (record / "SHA256SUMS").open("rb") as manifest:
        done = subprocess.run(["ssh-keygen", "-Y", "verify", "-f", str(allowed), "-I", who, "-n", NAMESPACE,
                               "-s", str(signature)], stdin=manifest, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_signing_a_changed_record_is_refused(record, keys):
    (record / "results.json").write_text("{}")
    done = examday("sign", str(record), "--key", str(keys["sam"]))
    assert done.returncode == 1 and "results.json" in done.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["verify", "no/such/run"], "no such folder"),
    (["sign", "no/such/run", "--key", "k"], "no such folder"),
    (["verify", ".", "--allowed-signers", "no/such/file"], "no such file"),
])
def test_bad_input_is_one_message_and_exit_2(args, message, record):
    done = examday(*[str(record) if a == "." else a for a in args])
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr + done.stdout


def test_a_missing_signing_key_is_one_message(record, tmp_path):
    done = examday("sign", str(record), "--key", str(tmp_path / "absent"))
    assert done.returncode == 2 and "does not exist" in done.stderr


def test_a_missing_sign_key_is_a_usage_error_before_any_item_runs(synthetic, tmp_path):
    done = synthetic.items(ITEMS).run("-m", "freeze", "--sign-key", str(tmp_path / "absent"))
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert "--sign-key" in done.stderr and synthetic.records == []


def test_reports_lists_runs_with_verdict_and_signature_state(signed_record, keys, tmp_path):
    reports_dir = signed_record.parents[2]
    done = examday("reports", "--reports-dir", str(reports_dir))
    assert done.returncode == 0, done.stderr
    assert signed_record.name in done.stdout and "freeze" in done.stdout and "GO" in done.stdout
    assert "dana@exam-board" in done.stdout and "yes" in done.stdout
    assert examday("reports", "--reports-dir", str(reports_dir), "--target", "other").stdout.startswith(
        "no records")
