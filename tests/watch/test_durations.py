"""`--interval` and `--for` as an operator types them."""

from __future__ import annotations

import pytest

from examday.watch.durations import DurationError, format_duration, parse_duration


@pytest.mark.parametrize("text, seconds", [
    ("90s", 90), ("15m", 900), ("4h", 14400), ("1h30m", 5400), ("60", 60), ("2.5s", 2.5), (" 5S ", 5),
    ("1d", 86400),
])
def test_durations_are_read_in_seconds(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["4x", "", "h", "-5s", "5 s", "1h 30m", "0s", "0", "s5", "5ss"])
def test_anything_else_is_refused_with_examples(text):
    with pytest.raises(DurationError, match="e.g. 90s, 15m, 4h"):
        parse_duration(text)


@pytest.mark.parametrize("seconds, text", [(20, "20s"), (2.5, "2.5s"), (60, "1m"), (5400, "1h30m"), (14400, "4h"),
                                           (3661, "1h1m1s")])
def test_durations_are_shown_short(seconds, text):
    assert format_duration(seconds) == text
