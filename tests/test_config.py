"""The config layer: the sandbox configuration loads, and every problem is one message naming its key."""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import pytest

from examday.config import ConfigError, ExamdayConfig, config_digest, load_config

SANDBOX_TOML = """
[target]
name = "sandbox"
kind = "sandbox"
description = "the stand-in platform from sandbox/docker-compose.yml"

[exam]
id = "mock-2026-06"
title = "Mock exam"
starts_at = 2026-06-01T09:00:00+02:00
ends_at = 2026-06-01T12:00:00+02:00

[docker]
compose_files = ["sandbox/docker-compose.yml"]

[docker.containers]
proxy = "exam_platform_proxy"
worker = "exam_platform_worker"
backup = "exam_platform_backup"
dns = "exam_platform_dns"

[api]
base_url = "https://api.exam.localhost:8443"
prefix = "/v1"
ca_bundle = "sandbox/.state/ca/ca.pem"
resolve = { "api.exam.localhost" = "127.0.0.1", "exam.localhost" = "127.0.0.1" }

[postgres]
host = "127.0.0.1"
port = 55432
password_env = "EXAMDAY_TEST_PG_PASSWORD"

[redis]
url = "redis://127.0.0.1:56379/0"

[tls]
endpoints = ["api.exam.localhost:8443", "exam.localhost:8443"]

[dns]
resolver = "127.0.0.1:5353"

[[dns.records]]
name = "api.exam.localhost"
type = "A"
expected = ["127.0.0.1"]

[[dns.records]]
name = "exam.localhost"
expected = ["127.0.0.1"]
"""


@pytest.fixture
def sandbox_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder laid out like the repository: the config, the compose file and the sandbox CA."""
    (tmp_path / "sandbox/.state/ca").mkdir(parents=True)
    (tmp_path / "sandbox/docker-compose.yml").write_text("services: {}\n")
    (tmp_path / "sandbox/.state/ca/ca.pem").write_text("not read by the config layer\n")
    (tmp_path / "examday.toml").write_text(SANDBOX_TOML)
    monkeypatch.setenv("EXAMDAY_TEST_PG_PASSWORD", "s3cret-from-env")
    return tmp_path


def write(folder: Path, toml: str, name: str = "examday.toml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(toml))
    return path


MINIMAL = """
[target]
name = "t"
kind = "staging"
[api]
base_url = "https://api.example.test"
"""


def load_error(folder: Path, toml: str) -> ConfigError:
    path = write(folder, toml)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    message = str(raised.value)
    assert message.startswith(str(path)), message
    assert "\n" not in message, message
    return raised.value


# --- the sandbox configuration ------------------------------------------------------------------------


def test_the_sandbox_configuration_loads(sandbox_dir: Path) -> None:
    config = load_config(sandbox_dir / "examday.toml")
    assert config.target.kind == "sandbox"
    assert config.api.base_url == "https://api.exam.localhost:8443"
    assert config.api.path_for(config.api.ready_path) == "/v1/ready"
    assert config.api.path_for(config.api.health_path) == "/health"
    assert config.api.resolve == {"api.exam.localhost": "127.0.0.1", "exam.localhost": "127.0.0.1"}
    assert config.api.ca_bundle == sandbox_dir / "sandbox/.state/ca/ca.pem"
    assert config.docker.compose_files == [sandbox_dir / "sandbox/docker-compose.yml"]
    assert config.docker.containers.proxy == "exam_platform_proxy"
    assert config.docker.containers.postgres == "exam_platform_postgres"
    assert config.docker.containers.by_role()["dns"] == "exam_platform_dns"
    assert (config.postgres.host, config.postgres.port, config.postgres.dbname) == ("127.0.0.1", 55432, "exam_platform")
    assert config.redis.url == "redis://127.0.0.1:56379/0"
    assert config.dns.resolver == "127.0.0.1:5353"
    assert [(record.name, record.type, record.expected) for record in config.dns.records] == [
        ("api.exam.localhost", "A", ["127.0.0.1"]),
        ("exam.localhost", "A", ["127.0.0.1"]),
    ]
    assert config.tls.host_ports() == [("api.exam.localhost", 8443), ("exam.localhost", 8443)]
    assert config.tls.ca_bundle == config.api.ca_bundle  # inherited from [api]
    assert config.tls.resolve == config.api.resolve
    assert config.exam is not None and config.exam.duration.total_seconds() == 3 * 3600
    assert config.attestations.file == sandbox_dir / "attestations/mock-2026-06.toml"
    assert config.source_path == sandbox_dir / "examday.toml"


def test_defaults_follow_the_platform(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    # docs/platform.md: four containers; the TLS edge is a Caddy on the host; no worker, backup or DNS container
    assert config.docker.containers.by_role() == {
        "postgres": "exam_platform_postgres", "redis": "exam_platform_redis",
        "backend": "exam_platform_backend", "frontend": "exam_platform_frontend"}
    assert config.docker.service_label == "com.docker.compose.service"
    assert (config.postgres.dbname, config.postgres.user) == ("exam_platform", "exam_user")
    assert config.logs.latency_fields == ["duration_ms", "total_ms"]
    assert config.logs.sampled_paths == ["/health", "/metrics", "/v1/health", "/"]
    assert config.exam_mode.sources == ["system_flags"]  # no code of the platform reads the EXAM_MODE env var
    assert (config.exam_mode.freeze_updates_key, config.exam_mode.cache_seconds) == ("FREEZE_UPDATES", 10)
    assert config.api.exam_mode_path == "admin/system/exam-mode" and config.api.ready_timeout_seconds > 10
    assert config.flow.login_body == {"email": "{username}", "password": "{password}"}
    assert (config.flow.token_field, config.flow.session_id_field) == ("tokens.access_token", "session_id")
    assert config.backup.host_dir is None and config.backup.container is None  # the platform ships no backup job
    assert (config.platform.pool_size, config.platform.max_overflow) == (10, 10)
    assert "EXAM_MODE" in config.platform.env_allowlist
    assert (config.thresholds.p95_ms, config.thresholds.error_rate, config.thresholds.cert_days) == (500, 0.01, 14)
    assert config.tls.endpoints == ["api.example.test:443"]  # the API's own edge
    assert config.exam is None and config.staging is None and config.prometheus is None


def test_docker_base_url_defaults_to_docker_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:2375")
    assert load_config(write(tmp_path, MINIMAL)).docker.base_url == "tcp://127.0.0.1:2375"
    monkeypatch.delenv("DOCKER_HOST")
    assert load_config(write(tmp_path, MINIMAL)).docker.base_url == "unix:///var/run/docker.sock"


# --- where the file comes from ------------------------------------------------------------------------------


def test_the_file_comes_from_the_argument_then_the_env_then_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write(tmp_path / "a", MINIMAL.replace('name = "t"', 'name = "from-env"'), "other.toml")
    write(tmp_path / "b", MINIMAL.replace('name = "t"', 'name = "from-cwd"'))
    monkeypatch.chdir(tmp_path / "b")
    monkeypatch.delenv("EXAMDAY_CONFIG", raising=False)
    assert load_config().target.name == "from-cwd"
    monkeypatch.setenv("EXAMDAY_CONFIG", str(tmp_path / "a/other.toml"))
    assert load_config().target.name == "from-env"
    assert load_config(tmp_path / "b/examday.toml").target.name == "from-cwd"


def test_no_file_says_how_to_point_at_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="EXAMDAY_CONFIG"):
        load_config(tmp_path / "absent.toml")


def test_relative_paths_resolve_against_the_config_folder_not_the_current_one(
    sandbox_dir: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    config = load_config(sandbox_dir / "examday.toml")
    assert config.api.ca_bundle == sandbox_dir / "sandbox/.state/ca/ca.pem"


def test_config_digest_is_the_sha256_of_the_file(sandbox_dir: Path) -> None:
    path = sandbox_dir / "examday.toml"
    digest = config_digest(load_config(path))
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
    path.write_text(SANDBOX_TOML + "\n# edited\n")
    assert config_digest(load_config(path)) != digest


def test_a_config_built_in_code_still_has_a_stable_digest() -> None:
    data = {"target": {"name": "t", "kind": "sandbox"}, "api": {"base_url": "http://127.0.0.1:8000"}}
    first, second = ExamdayConfig.model_validate(data), ExamdayConfig.model_validate(data)
    assert config_digest(first) == config_digest(second)


# --- secrets -----------------------------------------------------------------------------------------------------


def test_secret_from_env_is_a_secretstr_and_never_dumped(sandbox_dir: Path) -> None:
    config = load_config(sandbox_dir / "examday.toml")
    assert config.postgres.password is not None
    assert config.postgres.password.get_secret_value() == "s3cret-from-env"
    assert "s3cret" not in repr(config) + config.model_dump_json()


def test_secret_from_file_drops_only_the_trailing_newline(tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets/redis").write_text(" pass word \n")
    config = load_config(write(tmp_path, MINIMAL + '[redis]\npassword_file = "secrets/redis"\n'))
    assert config.redis.password is not None
    assert config.redis.password.get_secret_value() == " pass word "
    assert config.postgres.password is None


def test_a_literal_password_is_rejected_without_echoing_it(tmp_path: Path) -> None:
    error = load_error(tmp_path, MINIMAL + '[postgres]\npassword = "hunter2"\n')
    assert error.key == "postgres.password"
    assert "password_env" in str(error) and "password_file" in str(error)
    assert "hunter2" not in str(error)


def test_an_unset_secret_env_var_names_the_key_and_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXAMDAY_TEST_UNSET", raising=False)
    error = load_error(tmp_path, MINIMAL + '[redis]\npassword_env = "EXAMDAY_TEST_UNSET"\n')
    assert error.key == "redis.password_env"
    assert "EXAMDAY_TEST_UNSET is not set" in str(error)


def test_both_secret_sources_at_once_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXAMDAY_TEST_PW", "x")
    (tmp_path / "pw").write_text("y")
    error = load_error(tmp_path, MINIMAL + '[postgres]\npassword_env = "EXAMDAY_TEST_PW"\npassword_file = "pw"\n')
    assert error.key == "postgres.password_env"
    assert "only one of" in str(error)


def test_credentials_in_a_url_are_rejected(tmp_path: Path) -> None:
    error = load_error(tmp_path, MINIMAL + '[redis]\nurl = "redis://:topsecret@127.0.0.1:6379/0"\n')
    assert error.key == "redis.url"
    assert "topsecret" not in str(error)


# --- one message per problem, naming the key -------------------------------------------------------------------------


def test_an_unknown_key_is_named_with_the_allowed_ones(tmp_path: Path) -> None:
    error = load_error(tmp_path, MINIMAL + "[tls]\nmin_day_left = 3\n")
    assert error.key == "tls.min_day_left"
    assert "unknown key" in str(error)
    assert "min_days_left" in str(error) and "endpoints" in str(error)


def test_an_unknown_section_lists_the_sections(tmp_path: Path) -> None:
    error = load_error(tmp_path, MINIMAL + '[postgress]\nhost = "x"\n')
    assert error.key == "postgress"
    assert "postgres" in str(error) and "thresholds" in str(error)


def test_an_unknown_key_in_a_list_of_tables(tmp_path: Path) -> None:
    error = load_error(tmp_path, MINIMAL + '[[dns.records]]\nname = "a.test"\nexpected = []\nttl = 5\n')
    assert error.key == "dns.records[0].ttl"
    assert "expected" in str(error)


def test_a_wrong_type_names_found_and_expected(tmp_path: Path) -> None:
    error = load_error(tmp_path, MINIMAL + '[tls]\nmin_days_left = "soon"\n')
    assert error.key == "tls.min_days_left"
    assert '"soon"' in str(error) and "whole number" in str(error)


def test_a_value_out_of_range(tmp_path: Path) -> None:
    error = load_error(tmp_path, MINIMAL + "[thresholds]\nerror_rate = 5\n")
    assert error.key == "thresholds.error_rate"
    assert "<= 1" in str(error)


def test_a_missing_required_key(tmp_path: Path) -> None:
    error = load_error(tmp_path, '[target]\nname = "t"\n[api]\nbase_url = "https://a.test"\n')
    assert error.key == "target.kind"
    assert "missing" in str(error) and "[target]" in str(error)


def test_a_value_outside_a_fixed_set(tmp_path: Path) -> None:
    error = load_error(tmp_path, MINIMAL.replace('"staging"', '"prod"'))
    assert error.key == "target.kind"
    assert "'production'" in str(error) and '"prod"' in str(error)


def test_invalid_toml_names_line_and_column(tmp_path: Path) -> None:
    error = load_error(tmp_path, '[target]\nname = "t"\nkind = \n')
    assert "invalid TOML at line 3, column" in str(error)


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ('[api]\nbase_url = "https://a.test"\nca_bundle = "ca/missing.pem"\n', "api.ca_bundle"),
        ('[api]\nbase_url = "https://a.test"\n[postgres]\npassword_file = "missing/pw"\n', "postgres.password_file"),
        ('[api]\nbase_url = "https://a.test"\n[docker]\ncompose_files = ["missing.yml"]\n', "docker.compose_files[0]"),
        ('[api]\nbase_url = "https://a.test"\n[attestations]\nfile = "no/such/folder/a.toml"\n', "attestations.file"),
    ],
)
def test_a_missing_referenced_file_names_the_key_and_the_path(tmp_path: Path, section: str, key: str) -> None:
    error = load_error(tmp_path, '[target]\nname = "t"\nkind = "sandbox"\n' + section)
    assert error.key == key
    assert str(tmp_path) in str(error)


def test_strict_false_accepts_files_that_do_not_exist_yet(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace('"https://api.example.test"', '"https://a.test"\nca_bundle = "later/ca.pem"'))
    assert load_config(path, strict=False).api.ca_bundle == tmp_path / "later/ca.pem"


def test_exam_times_need_an_offset_and_an_order(tmp_path: Path) -> None:
    naive = load_error(tmp_path, MINIMAL + '[exam]\nid = "e"\nstarts_at = 2026-06-01T09:00:00\nends_at = 2026-06-01T12:00:00Z\n')
    assert naive.key == "exam.starts_at" and "UTC offset" in str(naive)
    backwards = load_error(tmp_path, MINIMAL + '[exam]\nid = "e"\nstarts_at = 2026-06-01T12:00:00Z\nends_at = 2026-06-01T09:00:00Z\n')
    assert backwards.key == "exam.ends_at" and "not after" in str(backwards)


def test_cross_section_rules_name_the_key(tmp_path: Path) -> None:
    no_path = MINIMAL.replace("[api]", '[api]\nexam_mode_path = ""')
    http_source = load_error(tmp_path, no_path + '[exam_mode]\nsources = ["http"]\n')
    assert http_source.key == "exam_mode.sources" and "api.exam_mode_path" in str(http_source)
    disagree = load_error(tmp_path, MINIMAL + "[tls]\nmin_days_left = 10\n[thresholds]\ncert_days = 20\n")
    assert disagree.key == "thresholds.cert_days"


def test_field_validators_name_the_key(tmp_path: Path) -> None:
    assert load_error(tmp_path, MINIMAL + '[[dns.records]]\nname = "a.test"\ntype = "NOPE"\nexpected = []\n').key == "dns.records[0].type"
    assert load_error(tmp_path, MINIMAL + '[dns]\nresolver = "dns.example.test"\n').key == "dns.resolver"
    assert load_error(tmp_path, MINIMAL + '[tls]\nendpoints = ["no-port"]\n').key == "tls.endpoints[0]"
    assert load_error(tmp_path, MINIMAL + '[logs]\ncontainer = "exam_platform_backend"\n').key == "logs.container"
    assert load_error(tmp_path, MINIMAL + '[exam_mode]\nflag_table = "x; drop table y"\n').key == "exam_mode.flag_table"
    resolve = load_error(tmp_path, MINIMAL.replace('api.example.test"', 'api.example.test"\nresolve = { "a.test" = "nope" }'))
    assert resolve.key == 'api.resolve."a.test"'


def test_several_problems_name_the_others_too(tmp_path: Path) -> None:
    error = load_error(tmp_path, MINIMAL + '[tls]\nmin_days_left = "x"\n[thresholds]\np95_ms = "y"\n')
    assert "also check: thresholds.p95_ms" in str(error)


# --- roles a deployment does not have, the operator, the exam window ------------------------------------


def test_a_role_the_platform_lacks_is_declared_absent(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL + '\n[docker.containers]\nabsent = ["frontend"]\n'))
    assert config.docker.containers.name_of("frontend") is None
    assert "frontend" not in config.docker.containers.by_role()


def test_an_empty_container_name_is_refused_naming_absent(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r'docker\.containers\.proxy.*absent = \["proxy"\]'):
        load_config(write(tmp_path, MINIMAL + '\n[docker.containers]\nproxy = ""\n'))


def test_a_role_both_named_and_absent_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="named and listed as absent"):
        load_config(write(tmp_path, MINIMAL + '\n[docker.containers]\nproxy = "edge"\nabsent = ["proxy"]\n'))


def test_the_admin_exam_mode_source_needs_an_operator(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"exam_mode\.sources.*\[operator\]"):
        load_config(write(tmp_path, MINIMAL + '\n[exam_mode]\nsources = ["system_flags", "http"]\n'))


def test_the_exam_window_comes_from_a_window_file(tmp_path: Path) -> None:
    (tmp_path / "window.toml").write_text("starts_at = 2026-12-02T09:00:00Z\nends_at = 2026-12-02T12:00:00Z\n")
    config = load_config(write(tmp_path, MINIMAL + '\n[exam]\nid = "x"\nwindow_file = "window.toml"\n'))
    assert config.exam is not None and config.exam.duration.total_seconds() == 3 * 3600
    with pytest.raises(ConfigError, match="exam.window_file"):
        load_config(write(tmp_path, MINIMAL + '\n[exam]\nid = "x"\nwindow_file = "missing.toml"\n'))


def test_examdays_own_state_is_kept_beside_the_config_file_whatever_the_working_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Two configs of one target run from different folders must share the canary's memory: two
    # memories would each keep a session open, and the platform lets a student hold two ACTIVE ones.
    folder = tmp_path / "platform"
    folder.mkdir()
    monkeypatch.setenv("CANARY_PW", "secret")
    monkeypatch.chdir(tmp_path)
    config = load_config(write(folder, MINIMAL + '[canary]\nusername = "c@x"\npassword_env = "CANARY_PW"\n'
                                        'memory_file = "state/canary.json"\n'))
    assert config.canary is not None and config.canary.memory_file == folder / "state" / "canary.json"
    assert config.baseline.dir == folder / "reports" / "baselines"
