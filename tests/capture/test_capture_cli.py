"""`examday capture` as an operator meets it: bad input is one message; dead dependencies are named."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

EXAMDAY = [sys.executable, "-m", "examday.cli.main"]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EXAMDAY, "capture", *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def dead_target(tmp_path: Path, closed_port: int) -> Path:
    config = tmp_path / "examday.toml"
    config.write_text(f"""
[target]
name = "dead"
kind = "staging"
[api]
base_url = "http://127.0.0.1:{closed_port}"
[docker]
base_url = "unix://{tmp_path}/no-docker.sock"
[postgres]
port = {closed_port}
[redis]
url = "redis://127.0.0.1:{closed_port}/0"
[proxy]
admin_url = "http://127.0.0.1:{closed_port}"
""")
    return config


def test_every_dead_dependency_is_named_and_the_index_still_written(tmp_path, closed_port):
    done = run(str(tmp_path / "bundle"), "--target", str(dead_target(tmp_path, closed_port)), cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    index = json.loads((tmp_path / "bundle" / "capture.json").read_text())
    assert set(index["errors"]) == {"pool", "requests", "redis", "resources", "proxy", "sessions"}
    assert "not captured redis" in " ".join(done.stdout.split())


def test_an_existing_folder_is_refused_with_one_message(tmp_path, closed_port):
    (tmp_path / "bundle").mkdir()
    (tmp_path / "bundle" / "earlier.json").write_text("{}")
    done = run(str(tmp_path / "bundle"), "--target", str(dead_target(tmp_path, closed_port)), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("error:") == 1 and "already exists and is not empty" in done.stderr
    assert [p.name for p in (tmp_path / "bundle").iterdir()] == ["earlier.json"]


def test_a_bad_config_is_one_message(tmp_path):
    config = tmp_path / "examday.toml"
    config.write_text('[target]\nname = "x"\nkind = "prod"\n[api]\nbase_url = "http://127.0.0.1:9"\n')
    done = run(str(tmp_path / "bundle"), "--target", str(config), cwd=tmp_path)
    assert done.returncode == 2 and "target.kind" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "bundle").exists()
