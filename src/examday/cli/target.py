"""The target a command works on: its examday.toml, loaded or one clear error."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from examday.cli.output import fail
from examday.config import ConfigError, ExamdayConfig, load_config

TARGET_HELP = "examday.toml of the target (default: $EXAMDAY_CONFIG, else ./examday.toml)"


def config_or_fail(target: Optional[Path]) -> ExamdayConfig:
    try:
        return load_config(target)
    except ConfigError as error:
        fail(str(error))
