"""Secrets: named in the config file (an env var or a file), read at load time.

A secret's value never lives in examday.toml, never reaches ``model_dump()``
(it is a private attribute) and prints as ``**********`` (pydantic SecretStr).
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, PrivateAttr, SecretStr, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

from examday.config.types import EnvVarName, ExistingFile, invalid


def read_secret(env_name: str | None, file_path: Path | None, *, field: str, check: bool = True) -> SecretStr | None:
    """The secret from ``<field>_env`` or ``<field>_file``; None when neither is set.

    Raises PydanticCustomError carrying the offending sub-key in ``key``.
    """
    if env_name and file_path:
        raise _at(
            f"{field}_env",
            invalid(
                f"only one of {field}_env and {field}_file",
                "Remove one of them.",
                problem="found both",
            ),
        )
    if env_name:
        value = os.environ.get(env_name)
        if value is None:
            if not check:
                return None
            raise _at(
                f"{field}_env",
                invalid(
                    "the name of a set environment variable",
                    f"Export {env_name} before running examday, or use {field}_file.",
                    problem="the environment variable {name} is not set",
                    name=env_name,
                ),
            )
        return SecretStr(value)
    if file_path:
        return _read_secret_file(file_path, field=field, check=check)
    return None


def _read_secret_file(path: Path, *, field: str, check: bool) -> SecretStr | None:
    try:
        # Only the trailing newline an editor adds is dropped; inner whitespace is the secret's.
        value = path.read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as error:
        if not check:
            return None
        reason = error.strerror if isinstance(error, OSError) and error.strerror else type(error).__name__
        raise _at(
            f"{field}_file",
            invalid(
                "a readable UTF-8 file holding the secret",
                "Check the file's permissions for the user running examday.",
                problem="cannot read {path} ({reason})",
                path=str(path),
                reason=reason,
            ),
        ) from None
    if not value and check:
        raise _at(
            f"{field}_file",
            invalid("a file holding the secret", "Write the secret into the file.", problem="{path} is empty", path=str(path)),
        )
    return SecretStr(value)


def _at(key: str, error: PydanticCustomError) -> PydanticCustomError:
    """Point an error raised by a section validator at one of the section's keys."""
    context = dict(error.context or {})
    context["key"] = key
    return PydanticCustomError(error.type, error.message_template, context)


class PasswordFromEnvOrFile(BaseModel):
    """Mixin for a section with ``password_env`` / ``password_file`` keys and a ``password`` attribute."""

    password_env: EnvVarName | None = None
    password_file: ExistingFile | None = None
    _password: SecretStr | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _read_password(self, info: ValidationInfo) -> PasswordFromEnvOrFile:
        context = info.context if isinstance(info.context, dict) else {}
        self._password = read_secret(
            self.password_env, self.password_file, field="password", check=context.get("strict", True)
        )
        return self

    @property
    def password(self) -> SecretStr | None:
        """The password, read at load time; None when the section names no secret."""
        return self._password

    def password_text(self, missing: str | None = "") -> str | None:
        """The password in clear, for the one call that sends it; ``missing`` when none is set."""
        return self._password.get_secret_value() if self._password else missing
