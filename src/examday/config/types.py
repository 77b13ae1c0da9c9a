"""Field types shared by the config sections.

Validators raise ``PydanticCustomError`` with ``expected`` and ``hint`` in their
context: the loader turns those into the one-line message of a ``ConfigError``.
Paths are resolved against the folder of the config file, which the loader
passes in the validation context (``base_dir``); ``strict=False`` in the same
context turns the existence checks off (e.g. before the sandbox made its CA).
"""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import SplitResult, urlsplit

from pydantic import AfterValidator, Field, ValidationInfo
from pydantic_core import PydanticCustomError

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SQL_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")
_HOSTNAME = re.compile(r"^(?=.{1,253}\.?$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$")


def invalid(expected: str, hint: str, *, problem: str = "found {found}", **context: Any) -> PydanticCustomError:
    """An error the loader renders as ``key: <problem>; expected <expected>. <hint>``."""
    return PydanticCustomError("examday_invalid", problem, {"expected": expected, "hint": hint, **context})


def _context(info: ValidationInfo) -> dict[str, Any]:
    return info.context if isinstance(info.context, dict) else {}


def _files_checked(info: ValidationInfo) -> bool:
    return bool(_context(info).get("strict", True))


# --- paths -----------------------------------------------------------------


def _resolve_path(value: Path, info: ValidationInfo) -> Path:
    path = value.expanduser()
    base_dir = _context(info).get("base_dir")
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    # normpath, not resolve(): keep symlinks as the operator wrote them.
    return Path(os.path.normpath(path))


def _existing(value: Path, info: ValidationInfo, kind: str) -> Path:
    """The path, resolved from the config file's folder, when a ``kind`` ("file" or "folder") is there."""
    path = _resolve_path(value, info)
    exists = path.is_file() if kind == "file" else path.is_dir()
    if _files_checked(info) and not exists:
        raise invalid(
            f"an existing {kind}",
            "Create it or fix the path (a relative path is read from the config file's folder).",
            problem=f"no {kind} at {{path}}",
            path=str(path),
        )
    return path


def _existing_file(value: Path, info: ValidationInfo) -> Path:
    return _existing(value, info, "file")


def _existing_dir(value: Path, info: ValidationInfo) -> Path:
    return _existing(value, info, "folder")


def _file_in_existing_dir(value: Path, info: ValidationInfo) -> Path:
    path = _resolve_path(value, info)
    if _files_checked(info) and not path.parent.is_dir():
        raise invalid(
            "a path in an existing folder",
            "Create the folder or fix the path (a relative path is read from the config file's folder).",
            problem="the folder {path} does not exist",
            path=str(path.parent),
        )
    return path


ConfigPath = Annotated[Path, AfterValidator(_resolve_path)]
ExistingFile = Annotated[Path, AfterValidator(_existing_file)]
ExistingDir = Annotated[Path, AfterValidator(_existing_dir)]
FileInExistingDir = Annotated[Path, AfterValidator(_file_in_existing_dir)]


# --- names -------------------------------------------------------------------


def _env_var_name(value: str) -> str:
    if not _ENV_NAME.match(value):
        raise invalid(
            "the NAME of an environment variable (letters, digits, _)",
            "Put the variable's name here, never the secret itself.",
            problem="found an invalid name",
        )
    return value


def _sql_identifier(value: str) -> str:
    if not _SQL_IDENTIFIER.match(value):
        raise invalid("a table name such as system_flags or schema.table", "Use a plain SQL identifier.")
    return value


def _non_empty(value: str) -> str:
    if not value.strip():
        raise invalid("a non-empty string", "Fill it in.", problem="found an empty string")
    return value


def _hostname(value: str) -> str:
    if not (_HOSTNAME.match(value) or _is_ip(value)):
        raise invalid("a host name such as api.exam.localhost, or an IP address", "Fix the host name.")
    return value.lower()


def _is_host(value: str) -> bool:
    """A host name or an IP address; an IDN counts by its ASCII form, the one resolvers and TLS see."""
    if _is_ip(value):
        return True
    try:
        ascii_name = value.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    return bool(_HOSTNAME.match(ascii_name))


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _ip_address(value: str) -> str:
    if not _is_ip(value):
        raise invalid("an IP address such as 127.0.0.1", "Map the host name to the IP address to connect to.")
    return str(ipaddress.ip_address(value))


EnvVarName = Annotated[str, AfterValidator(_env_var_name)]
SqlIdentifier = Annotated[str, AfterValidator(_sql_identifier)]
NonEmptyStr = Annotated[str, AfterValidator(_non_empty)]
Hostname = Annotated[str, AfterValidator(_hostname)]
IpAddress = Annotated[str, AfterValidator(_ip_address)]


# --- addresses and URLs --------------------------------------------------------


def split_host_port(text: str, default_port: int | None = None) -> tuple[str, int]:
    """``"host:port"``, ``"[::1]:53"`` or (with a default port) ``"host"`` -> (host, port).

    Raises ValueError with a readable message.
    """
    text = text.strip()
    host, port_text = text, None
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest.startswith(":"):
            port_text = rest[1:]
        elif rest:
            raise ValueError(f"cannot read {text!r} as [ipv6]:port")
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    elif text.count(":") > 1 and not _is_ip(text):
        raise ValueError(f"cannot read {text!r} as host:port")
    if not host:
        raise ValueError(f"{text!r} has no host")
    if port_text is None:
        if default_port is None:
            raise ValueError(f"{text!r} has no port")
        return host, default_port
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"{text!r} has no valid port (1-65535)")
    return host, int(port_text)


def _host_port(value: str) -> str:
    try:
        host, _ = split_host_port(value)
    except ValueError:
        host = ""
    if not _is_host(host):
        raise invalid('"host:port", e.g. "api.exam.localhost:8443"', "Write each endpoint as host:port.")
    return value


def _resolver_address(value: str) -> str:
    try:
        host, _ = split_host_port(value, default_port=53)
    except ValueError:
        host = ""
    if not _is_ip(host):
        raise invalid('an IP address with an optional port, e.g. "127.0.0.1:5353"', "A resolver is given by address, not by name.")
    return value


def _url_parts(value: str, expected: str, hint: str) -> SplitResult:
    """``urlsplit``, refusing what it lets through only to fail later: blanks, a port out of range, a broken [ipv6]."""
    try:
        parts = urlsplit(value)
        usable = parts.port != 0  # .port raises for "99999" or "abc"
    except ValueError:
        usable = False
    if not usable or any(char.isspace() or not char.isprintable() for char in value):
        raise _bad_url(value, expected, hint)
    return parts


def _bad_url(value: str, expected: str, hint: str) -> PydanticCustomError:
    # A URL holding credentials is not echoed: its password would land in a terminal log.
    problem = "found a URL not shown here (it holds credentials)" if "@" in value else "found {found}"
    return invalid(expected, hint, problem=problem)


def _http_base_url(value: str) -> str:
    expected = 'an http(s) URL such as "https://api.exam.localhost:8443"'
    hint = "Give scheme, host and, if not default, a port from 1 to 65535."
    parts = _url_parts(value, expected, hint)
    if parts.scheme not in ("http", "https") or not _is_host(parts.hostname or ""):
        raise _bad_url(value, expected, hint)
    if parts.password:
        raise invalid(
            "a URL without credentials",
            "Secrets never live in the config file: remove the user:password part.",
            problem="found a URL with a password",
        )
    return value.rstrip("/")


def _redis_url(value: str) -> str:
    expected, hint = 'a redis URL such as "redis://127.0.0.1:6379/0"', "Use the redis://host:port/db form."
    parts = _url_parts(value, expected, hint)
    if parts.scheme not in ("redis", "rediss", "unix") or not (parts.hostname or parts.path):
        raise _bad_url(value, expected, hint)
    if parts.password or parts.username:
        raise invalid(
            "a URL without credentials",
            "Secrets never live in the config file: remove them from the URL and use password_env or password_file.",
            problem="found a URL with credentials",
        )
    return value


def _url_prefix(value: str) -> str:
    if value and not value.startswith("/"):
        raise invalid('a path starting with "/", e.g. "/v1" (or "" for none)', 'Add the leading "/".')
    return value.rstrip("/")


HostPort = Annotated[str, AfterValidator(_host_port)]
ResolverAddress = Annotated[str, AfterValidator(_resolver_address)]
HttpBaseUrl = Annotated[str, AfterValidator(_http_base_url)]
RedisUrl = Annotated[str, AfterValidator(_redis_url)]
UrlPrefix = Annotated[str, AfterValidator(_url_prefix)]

# --- numbers ---------------------------------------------------------------------

Seconds = Annotated[float, Field(gt=0, le=600)]
# Spans added to or taken from today's date, bounded so that the date stays representable:
# no certificate lives ten years, and a log window is about the recent past.
Days = Annotated[float, Field(ge=0, le=3650)]
WholeDays = Annotated[int, Field(ge=0, le=3650)]
WindowMinutes = Annotated[float, Field(gt=0, le=10080)]
Port = Annotated[int, Field(ge=1, le=65535)]
Fraction = Annotated[float, Field(ge=0, le=1)]
Percent = Annotated[float, Field(ge=0, le=100)]
NonNegativeInt = Annotated[int, Field(ge=0)]
PositiveInt = Annotated[int, Field(ge=1)]
