"""`examday rehearse` refuses before anything runs: a production target unless forced, an unknown drill."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CONFIG = '[target]\nname = "live"\nkind = "{kind}"\n[api]\nbase_url = "http://127.0.0.1:9"\n'


def rehearse(tmp_path: Path, kind: str, *args: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "examday.toml"
    config.write_text(CONFIG.format(kind=kind))
    return subprocess.run([sys.executable, "-m", "examday.cli.main", "rehearse", "--target", str(config), *args],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)


@pytest.mark.parametrize("kind, args, says", [
    ("production", (), "live is a production target"),
    ("staging", ("--drill", "chaos"), "unknown drill chaos"),
])
def test_refused_with_one_message_and_exit_2(tmp_path, kind, args, says):
    done = rehearse(tmp_path, kind, *args)
    assert done.returncode == 2 and done.stderr.count("error:") == 1 and says in done.stderr, done.stderr
    assert "Traceback" not in done.stdout + done.stderr and "rehearsal" not in done.stdout
