"""examday.toml wrong in the ways an operator gets it wrong: one message naming the key, never a traceback.

The cases in tests/test_config.py are not repeated here; these are the ones that
used to slip through (a URL that only fails when connecting, ``inf`` as a threshold,
a span too long to be a date) or to crash (deep nesting) or to read badly.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import dns.message
import dns.name
import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from examday.config import ConfigError, DnsRecord, ExamdayConfig, load_config
from examday.facts.certificates import required_valid_until
from tests.test_attestations import REPO
from tests.test_config import MINIMAL, load_error, write

BASE_URL = 'base_url = "https://api.example.test"'


def with_base_url(url: str) -> str:
    """MINIMAL with another api.base_url (a TOML basic string: escapes like \\n work)."""
    return MINIMAL.replace(BASE_URL, f'base_url = "{url}"')


def examday(*args: str) -> subprocess.CompletedProcess[str]:
    """The examday command as an operator runs it."""
    return subprocess.run([sys.executable, "-m", "examday.cli.main", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=60, check=False)


# --- URLs and addresses ---------------------------------------------------------------------------------


@pytest.mark.parametrize("toml, key", [
    (with_base_url("https://api.example.test:99999"), "api.base_url"),
    (with_base_url("https://api.example.test:abc"), "api.base_url"),
    (with_base_url("https://[::1"), "api.base_url"),
    (with_base_url("https://api example.test"), "api.base_url"),
    (with_base_url("https://api.example.test\\n/v1"), "api.base_url"),
    (MINIMAL + '[redis]\nurl = "redis://127.0.0.1:99999/0"\n', "redis.url"),
    (MINIMAL + '[prometheus]\nurl = "http://prometheus:0"\n', "prometheus.url"),
    (MINIMAL + '[staging]\napi_base_url = "ftp://staging.example.test"\n', "staging.api_base_url"),
], ids=["port 99999", "port abc", "broken [ipv6]", "a blank", "a newline", "redis port", "port 0", "ftp"])
def test_a_url_that_would_only_fail_when_used_is_refused_at_load(tmp_path: Path, toml: str, key: str) -> None:
    error = load_error(tmp_path, toml)
    assert error.key == key
    assert f"{key}: found" in str(error) and "expected" in str(error)
    assert "value error" not in str(error).lower()


def test_a_control_character_in_a_value_is_shown_escaped_on_the_one_line(tmp_path: Path) -> None:
    error = load_error(tmp_path, with_base_url("https://api.example.test\\n/v1"))
    assert '"https://api.example.test\\n/v1"' in str(error)


def test_a_bad_url_holding_a_password_is_not_echoed(tmp_path: Path) -> None:
    error = load_error(tmp_path, with_base_url("https://ops:hunter2@api.example.test:99999"))
    assert error.key == "api.base_url"
    assert "hunter2" not in str(error) and "credentials" in str(error)


def test_an_endpoint_whose_host_is_no_host_name_is_refused_and_an_idn_is_not(tmp_path: Path) -> None:
    error = load_error(tmp_path, MINIMAL + '[tls]\nendpoints = ["api.exam.localhost :8443"]\n')
    assert error.key == "tls.endpoints[0]" and '"host:port"' in str(error)
    config = load_config(write(tmp_path, MINIMAL + '[tls]\nendpoints = ["bücher.example:8443"]\n'))
    assert config.tls.host_ports() == [("bücher.example", 8443)]


def test_an_ipv6_api_url_gives_a_tls_endpoint_that_splits_again(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, with_base_url("https://[::1]:8443")))
    assert config.tls.endpoints == ["[::1]:8443"] and config.tls.host_ports() == [("::1", 8443)]


def test_a_bad_name_in_a_table_of_names_is_named_once_and_quoted(tmp_path: Path) -> None:
    error = load_error(tmp_path, MINIMAL + '[api.resolve]\n"bad host!" = "127.0.0.1"\n')
    assert error.key == 'api.resolve."bad host!"'
    assert "[key]" not in str(error)


def test_a_validators_own_reason_reads_as_a_sentence(tmp_path: Path) -> None:
    error = load_error(tmp_path, MINIMAL + "[platform.rate_limits]\nRATE_LIMIT_API_PER_MINUTE = [600, 60]\n")
    assert error.key == "platform.rate_limits.RATE_LIMIT_API_PER_MINUTE"
    assert "but lowest (600.0) is above highest (60.0)" in str(error)
    assert "value error" not in str(error).lower()


# --- numbers ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key, value", [
    ("tls.margin_after_exam_days", "inf"),
    ("logs.window_minutes", "inf"),
    ("proxy.log_window_minutes", "+inf"),
    ("thresholds.p95_ms", "inf"),
    ("thresholds.error_rate", "nan"),
    ("logs.slow_ms", "nan"),
])
def test_infinity_and_nan_are_no_thresholds(tmp_path: Path, key: str, value: str) -> None:
    section, name = key.split(".")
    error = load_error(tmp_path, f"{MINIMAL}[{section}]\n{name} = {value}\n")
    assert error.key == key and "expected a finite number" in str(error)


@pytest.mark.parametrize("key, value, bound", [
    ("tls.min_days_left", "1000000000", "3650"),
    ("thresholds.cert_days", "99999999999999999", "3650"),
    ("tls.margin_after_exam_days", "1e12", "3650"),
    ("logs.window_minutes", "1e10", "10080"),
])
def test_a_span_too_long_to_be_a_date_is_refused(tmp_path: Path, key: str, value: str, bound: str) -> None:
    section, name = key.split(".")
    error = load_error(tmp_path, f"{MINIMAL}[{section}]\n{name} = {value}\n")
    assert error.key == key and f"<= {bound}" in str(error)


def test_the_longest_spans_allowed_still_give_dates(tmp_path: Path) -> None:
    """The bounds are there so that the deadline arithmetic of the checks cannot overflow."""
    exam = '[exam]\nid = "x"\nstarts_at = 2026-06-01T09:00:00Z\nends_at = 2026-06-01T12:00:00Z\n'
    spans = "[tls]\nmin_days_left = 3650\nmargin_after_exam_days = 3650\n[logs]\nwindow_minutes = 10080\n"
    config = load_config(write(tmp_path, MINIMAL + exam + spans))
    now = dt.datetime.now(dt.UTC)
    deadline, _ = required_valid_until(config, now)
    assert deadline > now + dt.timedelta(days=3649)
    assert now - dt.timedelta(minutes=config.logs.window_minutes) < now


# --- DNS records ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rtype", ["ANY", "AXFR", "OPT", "NONE", "NOPE"])
def test_a_query_type_is_no_record_type(tmp_path: Path, rtype: str) -> None:
    record = f'[[dns.records]]\nname = "api.example.test"\ntype = "{rtype}"\nexpected = []\n'
    error = load_error(tmp_path, MINIMAL + record)
    assert error.key == "dns.records[0].type" and "a DNS record type" in str(error)


@pytest.mark.parametrize("rtype, expected, says", [
    ("A", '["127.0.0.1", "localhost"]', '"localhost", which is not an IPv4 address'),
    ("A", '["::1"]', '"::1", which is not an IPv4 address'),
    ("AAAA", '["127.0.0.1"]', '"127.0.0.1", which is not an IPv6 address'),
])
def test_an_address_record_expects_addresses_of_its_family(tmp_path: Path, rtype: str, expected: str, says: str) -> None:
    record = f'[[dns.records]]\nname = "api.example.test"\ntype = "{rtype}"\nexpected = {expected}\n'
    error = load_error(tmp_path, MINIMAL + record)
    assert error.key == "dns.records[0].expected" and says in str(error)


def test_an_address_written_long_hand_is_compared_in_the_form_dns_answers_with(tmp_path: Path) -> None:
    record = '[[dns.records]]\nname = "api.example.test"\ntype = "AAAA"\nexpected = ["0:0:0:0:0:0:0:1"]\n'
    [loaded] = load_config(write(tmp_path, MINIMAL + record)).dns.records
    assert loaded.expected == ["::1"]


# --- the file itself ---------------------------------------------------------------------------------------


def test_nesting_too_deep_for_the_toml_parser_is_one_error(tmp_path: Path) -> None:
    error = load_error(tmp_path, MINIMAL + "deep = " + "[" * 5000 + "]" * 5000 + "\n")
    assert "nested too deeply" in str(error)


def test_a_byte_order_mark_from_a_windows_editor_is_read_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "examday.toml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    assert load_config(path).target.name == "t"


def _latin1(folder: Path) -> Path:
    path = folder / "examday.toml"
    path.write_bytes(MINIMAL.replace('name = "t"', 'name = "Zoë"').encode("latin-1"))
    return path


@pytest.mark.parametrize("make, says", [
    (lambda folder: folder, "is a folder, not a configuration file"),
    (_latin1, "line 3 is not valid UTF-8"),
])
def test_a_config_path_that_is_no_utf8_toml_file(tmp_path: Path, make: Any, says: str) -> None:
    path = make(tmp_path)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert str(raised.value).startswith(str(path)) and says in str(raised.value)


@pytest.mark.parametrize("key, content, says", [
    ("tls.ca_bundle", None, "no file at"),
    ("postgres.password_file", b"\xff\xfesecret", "UTF-8"),
    ("postgres.password_file", b"\n", "is empty"),
], ids=["a folder", "not UTF-8", "only a newline"])
def test_a_referenced_file_that_is_there_but_unusable(tmp_path: Path, key: str, content: bytes | None, says: str) -> None:
    referenced = tmp_path / "referenced"
    referenced.mkdir() if content is None else referenced.write_bytes(content)
    section, name = key.split(".")
    error = load_error(tmp_path, f'{MINIMAL}[{section}]\n{name} = "referenced"\n')
    assert error.key == key and says in str(error)


# --- through the command line ---------------------------------------------------------------------------------


@pytest.mark.parametrize("toml, says", [
    (with_base_url("https://api.example.test:99999"), "api.base_url"),
    (MINIMAL + "[tls]\nmargin_after_exam_days = inf\n", "tls.margin_after_exam_days"),
    (MINIMAL + "deep = " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
], ids=["url", "inf", "nesting"])
def test_attest_with_a_bad_config_is_one_line_and_exit_2(tmp_path: Path, toml: str, says: str) -> None:
    done = examday("attest", "PRE-COM-01", "--by", "Kim", "--note", "n", "--target", str(write(tmp_path, toml)))
    assert done.returncode == 2
    assert says in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_the_checklist_catalog_with_a_bad_config_is_exit_2_naming_the_key(tmp_path: Path) -> None:
    done = examday("checklist", "--target", str(write(tmp_path, MINIMAL + "[logs]\nwindow_minutes = 1e10\n")))
    assert done.returncode == 2
    assert "logs.window_minutes" in done.stderr and "Traceback" not in done.stderr + done.stdout


# --- properties -------------------------------------------------------------------------------------------------

_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
_tricky_text = st.sampled_from([
    "", " ", "inf", "https://api.example.test:99999", "https://[::1", "redis://[::1/0", "https://x:0",
    "api.exam.localhost:8443", "[::1]:53", "127.0.0.1:5353", "bücher.example:443", "a..b:1", "ANY", "TYPE65534",
    "/v1", "v1", "system_flags", "EXAM_MODE", "1X", "/backups", "\x00", "\n",
])
_scalars = st.one_of(
    st.booleans(), st.integers(-(2**63), 2**63 - 1), st.floats(), _text, _tricky_text,
    st.datetimes(timezones=st.none() | st.just(dt.UTC)), st.dates(), st.times(),
)
_toml_values = st.recursive(
    _scalars, lambda children: st.lists(children, max_size=3) | st.dictionaries(_text, children, max_size=3),
    max_leaves=8,
)
# Leaves whose validators stand alone: a wrong value there must be blamed on that key and no other.
_LEAVES = [
    "api.base_url", "api.prefix", "api.timeout_seconds", "api.resolve", "api.ca_bundle", "postgres.port",
    "redis.url", "tls.endpoints", "tls.min_days_left", "tls.margin_after_exam_days", "dns.resolver", "dns.records",
    "logs.window_minutes", "logs.max_line_bytes", "logs.latency_fields", "thresholds.p95_ms", "thresholds.error_rate",
    "exam_mode.sources", "exam_mode.env_key", "backup.path", "proxy.admin_url", "platform.rate_limits", "target.kind",
]
_VALID = {"target": {"name": "t", "kind": "staging"}, "api": {"base_url": "https://api.example.test"}}


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for all examples (hypothesis and function-scoped tmp_path do not mix)."""
    return tmp_path_factory.mktemp("config-properties")


def _load(folder: Path, document: dict[str, Any]) -> ExamdayConfig | ConfigError:
    path = folder / "examday.toml"
    path.write_text(tomli_w.dumps(document), encoding="utf-8")
    try:
        return load_config(path)
    except ConfigError as error:
        message = str(error)
        assert message.startswith(str(path)) and "\n" not in message, message
        assert error.key is None or error.key in message, message
        return error


@settings(max_examples=150, deadline=None)
@given(leaf=st.sampled_from(_LEAVES), value=_toml_values)
def test_a_wrong_value_is_blamed_on_its_own_key(scratch: Path, leaf: str, value: Any) -> None:
    section, key = leaf.split(".")
    document = {**_VALID, section: {**_VALID.get(section, {}), key: value}}
    outcome = _load(scratch, document)
    if isinstance(outcome, ConfigError):
        assert outcome.key is not None and outcome.key.startswith(leaf), (leaf, str(outcome))
        assert outcome.key[len(leaf):][:1] in ("", ".", "["), (leaf, outcome.key)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from([*sorted(ExamdayConfig.model_fields), "extra"]) | _text,
                       st.dictionaries(_text | st.sampled_from(_LEAVES).map(lambda leaf: leaf.split(".")[1]),
                                       _toml_values, max_size=4) | _toml_values, max_size=5))
def test_any_toml_document_loads_or_is_one_config_error(scratch: Path, document: dict[str, Any]) -> None:
    outcome = _load(scratch, {**_VALID, **document})
    assert isinstance(outcome, (ExamdayConfig, ConfigError))


@settings(max_examples=150, deadline=None)
@given(
    scheme=st.sampled_from(["http", "https", "HTTPS", "ftp", ""]),
    host=st.sampled_from(["api.example.test", "bücher.example", "[::1]", "[::1", "127.0.0.1", "", "a b", "a..b", "_x"]),
    port=st.none() | st.integers(-2, 70000).map(str) | st.sampled_from(["", "abc", "08443", " 1"]),
    path=st.sampled_from(["", "/", "/v1", "/?a=1", "#x", "/\t"]),
)
def test_a_base_url_the_config_accepts_has_a_host_and_a_port(scratch: Path, scheme: str, host: str,
                                                             port: str | None, path: str) -> None:
    url = f"{scheme}://{host}" + (f":{port}" if port is not None else "") + path
    outcome = _load(scratch, {**_VALID, "api": {"base_url": url}})
    if isinstance(outcome, ExamdayConfig):
        assert outcome.api.host and 1 <= outcome.api.port <= 65535
        assert outcome.tls.host_ports() in ([], [(outcome.api.host, outcome.api.port)])
    else:
        assert outcome.key == "api.base_url"


_labels = st.text("abcxyz019-_", min_size=1, max_size=70) | st.sampled_from(["a" * 63, "a" * 64, "xn--bcher-kva", ""])


@settings(max_examples=200, deadline=None)
@given(st.lists(_labels, min_size=1, max_size=8).map(".".join), st.booleans())
def test_every_dns_name_the_config_accepts_can_be_asked(name: str, rooted: bool) -> None:
    """The config's name check and dnspython's limits agree: an accepted name never fails at query time."""
    name = name + "." if rooted else name
    try:
        record = DnsRecord.model_validate({"name": name, "expected": []})
    except ValidationError:
        return
    query = dns.message.make_query(dns.name.from_text(record.name), "A")
    assert len(query.to_wire()) <= 512
