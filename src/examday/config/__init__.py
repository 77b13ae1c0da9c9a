"""The config layer: examday.toml parsed into typed, validated models.

    from examday.config import load_config
    config = load_config()          # ./examday.toml, or $EXAMDAY_CONFIG
    config.api.base_url, config.thresholds.p95_ms, config.postgres.password

Every problem is a ConfigError with one message naming the file and the key.
"""

from examday.config.errors import ConfigError
from examday.config.loader import CONFIG_ENV_VAR, DEFAULT_CONFIG_NAME, config_digest, config_path, load_config
from examday.config.model import ExamdayConfig
from examday.config.sections import (
    ApiConfig,
    AttestationsConfig,
    BackupConfig,
    CanaryConfig,
    ContainerNames,
    DnsConfig,
    DnsRecord,
    DockerConfig,
    ExamConfig,
    ExamModeConfig,
    LogsConfig,
    OperatorConfig,
    PlatformConfig,
    PostgresConfig,
    RedisConfig,
    RehearsalConfig,
    ServiceUrlConfig,
    StagingConfig,
    StudentFlowConfig,
    TargetConfig,
    ThresholdsConfig,
    TlsConfig,
)
from examday.config.types import split_host_port

__all__ = [
    "CONFIG_ENV_VAR",
    "DEFAULT_CONFIG_NAME",
    "ApiConfig",
    "AttestationsConfig",
    "BackupConfig",
    "CanaryConfig",
    "ConfigError",
    "ContainerNames",
    "DnsConfig",
    "DnsRecord",
    "DockerConfig",
    "ExamConfig",
    "ExamModeConfig",
    "ExamdayConfig",
    "LogsConfig",
    "OperatorConfig",
    "PlatformConfig",
    "PostgresConfig",
    "RedisConfig",
    "RehearsalConfig",
    "ServiceUrlConfig",
    "StagingConfig",
    "StudentFlowConfig",
    "TargetConfig",
    "ThresholdsConfig",
    "TlsConfig",
    "config_digest",
    "config_path",
    "load_config",
    "split_host_port",
]
