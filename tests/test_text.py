"""The small shared text helpers: one reading of a boolean setting for every source (env, database, API)."""

from __future__ import annotations

import pytest

from examday.text import parse_flag, printable


@pytest.mark.parametrize("value, expected", [
    (True, True), (False, False), (None, None),
    ("true", True), (" TRUE ", True), ("1", True), ("t", True), ("yes", True), ("on", True),
    ("false", False), ("0", False), ("f", False), ("no", False), ("Off", False),
    ("", None), ("maybe", None), ("2", None),
])
def test_a_flag_reads_as_the_platforms_settings_read_it(value, expected):
    assert parse_flag(value) is expected


def test_printable_keeps_one_line():
    assert printable("a\nb\x00") == "a\\nb\\x00"
