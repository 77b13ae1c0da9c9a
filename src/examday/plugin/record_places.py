"""Where a run's files are: its waivers, its records and the key that signs them; each from its
option, else beside the target's examday.toml (else the working folder)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from examday.config import ExamdayConfig
from examday.report.model import RunRecord
from examday.report.signing import key_comment

SIGN_KEY_ENV = "EXAMDAY_SIGN_KEY"


def beside_config(target: ExamdayConfig, *parts: str) -> Path:
    source = target.source_path
    return (source.parent if source else Path.cwd()).joinpath(*parts)


def waiver_path(config: pytest.Config, target: ExamdayConfig) -> Path:
    option = config.getoption("examday_waivers")
    if option:
        return Path(option)
    return beside_config(target, "waivers", f"{target.exam.id if target.exam else target.target.name}.toml")


def reports_dir(config: pytest.Config, target: ExamdayConfig) -> Path:
    option = config.getoption("examday_reports_dir")
    return Path(option) if option else beside_config(target, "reports")


def sign_key(config: pytest.Config) -> Path | None:
    value = config.getoption("examday_sign_key") or os.environ.get(SIGN_KEY_ENV)
    return Path(value).expanduser() if value else None


def signer(key: Path | None, run: RunRecord) -> str:
    """The name on the run's own signature: the key's comment, else the operator."""
    return (key_comment(key) if key else None) or run.operator
