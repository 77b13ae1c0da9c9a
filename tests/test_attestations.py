"""Attestations as data: written by `examday attest`, read back, expired ones ignored, bad files refused."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from examday.attestations import AttestationError, current_attestation, load_attestations

REPO = Path(__file__).resolve().parents[1]
NOW = dt.datetime.now(dt.timezone.utc)


def attest(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "examday.cli.main", "attest", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=60)


def test_attest_writes_an_entry_with_fingerprinted_evidence(tmp_path):
    proof = tmp_path / "mail.eml"
    proof.write_text("schedule sent")
    file = tmp_path / "att.toml"
    done = attest("PRE-COM-01", "--by", "Dana", "--note", "schedule mailed", "--evidence", str(proof),
                  "--file", str(file))
    assert done.returncode == 0, done.stderr
    [entry] = load_attestations(file)
    assert (entry.item, entry.by, entry.note) == ("PRE-COM-01", "Dana", "schedule mailed")
    assert entry.evidence.sha256 == hashlib.sha256(b"schedule sent").hexdigest()
    assert current_attestation([entry], "PRE-COM-01") == entry


def test_attest_appends_and_keeps_earlier_entries(tmp_path):
    file = tmp_path / "att.toml"
    for item_id in ("PRE-COM-01", "PRE-COM-02"):
        assert attest(item_id, "--by", "Kim", "--note", "ok", "--evidence", "https://wiki/x",
                      "--file", str(file)).returncode == 0
    assert [a.item for a in load_attestations(file)] == ["PRE-COM-01", "PRE-COM-02"]


def test_an_expired_attestation_counts_as_missing(tmp_path):
    file = tmp_path / "att.toml"
    expired = (NOW - dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert attest("PRE-COM-03", "--by", "Kim", "--note", "ok", "--expires", expired,
                  "--file", str(file)).returncode == 0
    assert current_attestation(load_attestations(file), "PRE-COM-03") is None


@pytest.mark.parametrize("args, says", [
    (["pre-com-01", "--by", "K", "--note", "n"], "invalid attestation"),
    (["PRE-COM-01", "--by", "K", "--note", "n", "--evidence", "/no/such/file"], "does not exist"),
])
def test_bad_attest_input_is_one_message_and_exit_2(tmp_path, args, says):
    done = attest(*args, "--file", str(tmp_path / "att.toml"))
    assert done.returncode == 2
    assert says in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "att.toml").exists()


@pytest.mark.parametrize("content, says", [
    ("[[attestation]]\nitem = 'PRE-COM-01'\n", "attestation.0.by"),
    ("not toml at all [", "cannot read"),
    ("[[attestation]]\nitem='PRE-COM-01'\nby='a'\nnote='n'\nat=2026-01-01T00:00:00Z\nextra=1\n", "extra"),
])
def test_a_malformed_attestation_file_is_one_clear_error(tmp_path, content, says):
    file = tmp_path / "att.toml"
    file.write_text(content)
    with pytest.raises(AttestationError) as error:
        load_attestations(file)
    assert says in str(error.value) and str(file) in str(error.value)
