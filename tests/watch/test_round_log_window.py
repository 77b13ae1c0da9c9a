"""A watch round is told where the backend's log window is kept; a plain run is not."""

from __future__ import annotations

from pathlib import Path

from examday.facts.log_window_state import STATE_ENV
from examday.watch.layout import WatchLayout
from examday.watch.rounds import round_environment


def test_the_round_child_gets_the_watch_folder_s_log_window(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("EXAMDAY_SOMETHING_ELSE", "kept")
    environment = round_environment(WatchLayout(tmp_path))
    assert environment[STATE_ENV] == str((tmp_path / "log-window").absolute())
    assert environment["EXAMDAY_SOMETHING_ELSE"] == "kept"
