"""Attestation and waiver files written by hand, badly: one error naming the file and the entry, never a traceback.

tests/test_attestations.py and tests/report/test_waivers.py hold the everyday
cases; here are the files no tool writes (a folder, Latin-1, deep nesting, a
byte-order mark), the command that writes them pointed somewhere it cannot
write, and properties over arbitrary documents and arbitrary text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

from examday.attestations import Attestation, AttestationError, AttestationEvidence, append_attestation, load_attestations
from examday.waivers import WaiverError, load_waivers
from tests.test_attestations import attest

ENTRY = "item = 'PRE-COM-01'\nby = 'Kim'\nat = 2026-01-01T00:00:00Z\n"
LOADERS = [
    pytest.param(load_attestations, AttestationError, "attestation", id="attestations"),
    pytest.param(load_waivers, WaiverError, "waiver", id="waivers"),
]
Loader = Callable[[Path], list[Any]]


def valid_entry(key: str) -> str:
    """One well-formed [[attestation]] or [[waiver]] table."""
    if key == "attestation":
        return f"[[attestation]]\n{ENTRY}note = 'done'\n"
    return f"[[waiver]]\n{ENTRY}justification = 'accepted'\nexpires = 2026-01-02T00:00:00Z\n"


def refused(load: Loader, error: type[Exception], path: Path) -> str:
    """The loader's one-line message for the file (it must name the file)."""
    with pytest.raises(error) as raised:
        load(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: ") and "\n" not in message, message
    return message


@pytest.mark.parametrize("load, error, key", LOADERS)
def test_nesting_too_deep_for_the_toml_parser_is_one_error(tmp_path: Path, load: Loader, error: type[Exception],
                                                           key: str) -> None:
    path = tmp_path / "signoff.toml"
    path.write_text(valid_entry(key) + "deep = " + "[" * 5000 + "]" * 5000 + "\n")
    assert "nested too deeply" in refused(load, error, path)


@pytest.mark.parametrize("load, error, key", LOADERS)
def test_a_folder_or_latin1_text_is_refused_by_file(tmp_path: Path, load: Loader, error: type[Exception],
                                                    key: str) -> None:
    folder = tmp_path / "a-folder.toml"
    folder.mkdir()
    assert "cannot read" in refused(load, error, folder)
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes(valid_entry(key).replace("Kim", "Zoë").encode("latin-1"))
    assert "utf-8" in refused(load, error, latin1).lower()


@pytest.mark.parametrize("load, error, key", LOADERS)
def test_a_byte_order_mark_from_a_windows_editor_is_read(tmp_path: Path, load: Loader, error: type[Exception],
                                                         key: str) -> None:
    path = tmp_path / "signoff.toml"
    path.write_bytes(b"\xef\xbb\xbf" + valid_entry(key).encode())
    [entry] = load(path)
    assert entry.by == "Kim"


@pytest.mark.parametrize("load, error, key", LOADERS)
@pytest.mark.parametrize("edit, where", [
    (lambda entry, key: f"{key} = 'everything is fine'\n", "{key}: Input should be a valid list"),
    (lambda entry, key: entry.replace(f"[[{key}]]", f"[{key}]"), "{key}: Input should be a valid list"),
    (lambda entry, key: entry.replace("00:00:00Z", "00:00:00", 1), "{key}.0.at: Input should have timezone info"),
    (lambda entry, key: entry + "evidence = 'mail.eml'\n", "{key}.0.evidence: Input should be a valid dictionary"),
    (lambda entry, key: entry.replace("'Kim'", "42"), "{key}.0.by: Input should be a valid string"),
], ids=["a string", "one table", "naive time", "evidence as a string", "a number for a name"])
def test_an_entry_of_the_wrong_shape_is_named_by_its_place(tmp_path: Path, load: Loader, error: type[Exception],
                                                           key: str, edit: Callable[[str, str], str], where: str) -> None:
    path = tmp_path / "signoff.toml"
    path.write_text(edit(valid_entry(key), key))
    assert f": {where.format(key=key)}" in refused(load, error, path)


# --- `examday attest`, pointed at what it cannot use ------------------------------------------------------------


def test_attest_into_a_folder_that_cannot_exist_is_one_message_and_exit_2(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way\n")
    done = attest("PRE-COM-01", "--by", "Kim", "--note", "n", "--file", str(blocker / "att.toml"))
    assert done.returncode == 2, done.stderr
    assert "cannot write the attestation file" in done.stderr and str(blocker) in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("args, says", [
    (["PRE-COM-01", "--by", "", "--note", "n"], "invalid attestation: by: String should have at least 1 character"),
    (["PRE-COM-01", "--by", "Kim", "--note", ""], "invalid attestation: note:"),
    (["pre-com-01", "--by", "Kim", "--note", "n"], "invalid attestation: item: String should match pattern"),
])
def test_attest_names_the_field_that_is_wrong(tmp_path: Path, args: list[str], says: str) -> None:
    done = attest(*args, "--file", str(tmp_path / "att.toml"))
    assert done.returncode == 2
    assert says in done.stderr and "errors.pydantic.dev" not in done.stderr


def test_attest_onto_a_broken_file_keeps_it_and_says_why(tmp_path: Path) -> None:
    file = tmp_path / "att.toml"
    broken = "deep = " + "[" * 5000 + "]" * 5000 + "\n"
    file.write_text(broken)
    done = attest("PRE-COM-01", "--by", "Kim", "--note", "n", "--file", str(file))
    assert done.returncode == 2 and "nested too deeply" in done.stderr and "Traceback" not in done.stderr
    assert file.read_text() == broken


# --- properties -------------------------------------------------------------------------------------------------

_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
_moments = st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(9000, 1, 1),
                        timezones=st.integers(-23 * 60 - 59, 23 * 60 + 59).map(
                            lambda minutes: dt.timezone(dt.timedelta(minutes=minutes))))
_values = st.recursive(
    st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats() | _text | _moments | st.datetimes() | st.dates(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_text, children, max_size=3),
    max_leaves=8,
)
_fields = st.sampled_from(["item", "by", "at", "note", "justification", "evidence", "expires", "extra"])
_entries = st.dictionaries(_fields, _values | st.sampled_from(["PRE-COM-01", "FRZ-INF-03"]), max_size=7)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for all examples (hypothesis and function-scoped tmp_path do not mix)."""
    return tmp_path_factory.mktemp("signoff-properties")


@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from(["attestation", "waiver"]), entries=st.lists(_entries, max_size=3) | _values,
       others=st.dictionaries(_text, _values, max_size=2))
def test_any_document_gives_entries_or_one_error_naming_the_file(scratch: Path, kind: str, entries: Any,
                                                                 others: dict[str, Any]) -> None:
    load, error = (load_attestations, AttestationError) if kind == "attestation" else (load_waivers, WaiverError)
    path = scratch / f"{kind}.toml"
    path.write_text(tomli_w.dumps({**others, kind: entries}), encoding="utf-8")
    try:
        loaded = load(path)
    except error as problem:
        assert str(problem).startswith(f"{path}: ") and "\n" not in str(problem)
    else:
        assert all(entry.at.tzinfo is not None for entry in loaded)


_words = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40)


@settings(max_examples=100, deadline=None)
@given(by=_words, note=_words, url=_words, at=_moments)
def test_whatever_a_person_writes_reads_back_the_same(scratch: Path, by: str, note: str, url: str,
                                                      at: dt.datetime) -> None:
    """Quotes, backslashes, newlines and control characters survive the file: it is TOML, written by tomli_w."""
    path = scratch / "roundtrip.toml"
    path.unlink(missing_ok=True)
    written = Attestation(item="PRE-COM-01", by=by, at=at, note=note, evidence=AttestationEvidence(url=url))
    append_attestation(path, written)
    append_attestation(path, written)
    assert load_attestations(path) == [written, written]
