"""Find, read and validate examday.toml."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from pathlib import Path

from pydantic import ValidationError

from examday.config.errors import ConfigError
from examday.config.messages import config_error_from_validation
from examday.config.model import ExamdayConfig

CONFIG_ENV_VAR = "EXAMDAY_CONFIG"
DEFAULT_CONFIG_NAME = "examday.toml"

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def config_path(path: Path | str | None = None) -> Path:
    """The file to load: the argument, else $EXAMDAY_CONFIG, else ./examday.toml."""
    if path is not None:
        return Path(path)
    from_env = os.environ.get(CONFIG_ENV_VAR)
    if from_env:
        return Path(from_env)
    return Path.cwd() / DEFAULT_CONFIG_NAME


def load_config(path: Path | str | None = None, *, strict: bool = True) -> ExamdayConfig:
    """Load and validate the configuration; raise ConfigError with one clear message.

    ``strict=False`` skips the checks that referenced files exist and that
    secrets can be read (unreadable secrets are then None). It is for tools
    that must read the config before those files exist, such as the sandbox
    command that creates the CA; checks always load strictly.
    """
    source = config_path(path)
    raw = _read_bytes(source)
    data = _parse_toml(raw, source)
    context = {"base_dir": source.parent.absolute(), "strict": strict}
    try:
        config = ExamdayConfig.model_validate(data, context=context)
    except ValidationError as error:
        raise config_error_from_validation(error, source, ExamdayConfig) from None
    config._source_path = source.absolute()
    config._source_sha256 = hashlib.sha256(raw).hexdigest()
    return config


def config_digest(config: ExamdayConfig) -> str:
    """sha256 (hex) of the config file's bytes, as ``sha256sum`` would print it.

    A configuration built in code has no file: its digest is that of its
    canonical JSON form (sorted keys; secrets are private and never part of it).
    """
    if config._source_sha256 is not None:
        return config._source_sha256
    canonical = json.dumps(config.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _read_bytes(source: Path) -> bytes:
    try:
        return source.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{source}: no configuration file there. Pass the path explicitly, set "
            f"{CONFIG_ENV_VAR}, or run from the folder holding {DEFAULT_CONFIG_NAME}.",
            path=source,
        ) from None
    except IsADirectoryError:
        raise ConfigError(f"{source}: is a folder, not a configuration file. Give the path of the .toml file.", path=source) from None
    except OSError as error:
        raise ConfigError(f"{source}: cannot be read ({error.strerror}). Check its permissions.", path=source) from None


def _parse_toml(raw: bytes, source: Path) -> dict[str, object]:
    try:
        # utf-8-sig: editors on Windows start UTF-8 files with a byte-order mark, which TOML does not expect.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ConfigError(f"{source}: line {line} is not valid UTF-8. Save the file as UTF-8.", path=source) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{source}: invalid TOML {_toml_error_text(error)}. Fix the syntax there.", path=source) from None
    except RecursionError:  # tomllib descends once per level of [[[...]]] or {a = {b = ...}}
        raise ConfigError(f"{source}: invalid TOML: arrays or tables nested too deeply. Fix the structure.", path=source) from None


def _toml_error_text(error: tomllib.TOMLDecodeError) -> str:
    """``at line 3, column 5: Expected '=' ...`` from tomllib's message."""
    message = str(error)
    position = _TOML_POSITION.search(message)
    if not position:
        return f"({message})"
    reason = message[: position.start()]
    return f"at line {position.group(1)}, column {position.group(2)}: {reason}"
