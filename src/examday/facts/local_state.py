"""examday's own state between phases (the freeze baseline, the canary's answers): local files.

Kept per target and exam under `[baseline] dir`, written atomically so that a
run interrupted mid-write leaves the previous file, never half of one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from examday.config import ExamdayConfig


def state_dir(config: ExamdayConfig) -> Path:
    return config.baseline.dir / config.target.name / (config.exam.id if config.exam else "current")


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)


def read_json(path: Path) -> Any | None:
    return json.loads(path.read_text()) if path.exists() else None
