"""The target file the docker-exec probe tests load: a staging target plus the lines a test adds."""

from __future__ import annotations

import textwrap
from pathlib import Path

from examday.config import ExamdayConfig, load_config

CONFIG = """
[target]
name = "exec-test"
kind = "staging"

[api]
base_url = "https://api.example.org"
"""


def exec_target(folder: Path, extra: str) -> ExamdayConfig:
    path = folder / "examday.toml"
    path.write_text(CONFIG + textwrap.dedent(extra))
    return load_config(path)
