"""One pydantic model per ``[section]`` of examday.toml, grouped by what they describe.

Defaults describe the platform in docs/platform.md; every name can be changed, because other teams run
other platforms. The modules: target (the base Section, [target], [exam]), connections (how examday
reaches the platform), platform (how it behaves), services (what runs around it), people (who
examday acts as or for).
"""

from examday.config.sections.target import (  # noqa: F401 - re-exported
    ExamConfig,
    Section,
    TargetConfig,
)
from examday.config.sections.connections import (  # noqa: F401 - re-exported
    ApiConfig,
    ContainerNames,
    ContainerRole,
    DnsConfig,
    DnsRecord,
    DockerConfig,
    PostgresConfig,
    ROLE_NAMES,
    RedisConfig,
    SslMode,
    TlsConfig,
    Via,
)
from examday.config.sections.platform import (  # noqa: F401 - re-exported
    CrontabLocation,
    DEFAULT_ENV_ALLOWLIST,
    DEFAULT_HOST_CRONTABS,
    DEFAULT_JOB_COMMAND_PATTERNS,
    ExamModeConfig,
    ExamModeSource,
    JobsConfig,
    LogsConfig,
    PlatformConfig,
    RateLimitPolicy,
    ThresholdsConfig,
)
from examday.config.sections.services import (  # noqa: F401 - re-exported
    AlertmanagerConfig,
    BackupConfig,
    BaselineConfig,
    DashboardConfig,
    PrometheusConfig,
    ProxyConfig,
    ServiceUrlConfig,
    StagingConfig,
)
from examday.config.sections.people import (  # noqa: F401 - re-exported
    AttestationsConfig,
    CanaryConfig,
    OperatorConfig,
    RehearsalConfig,
    StudentFlowConfig,
)

__all__ = [
    "AlertmanagerConfig",
    "ApiConfig",
    "AttestationsConfig",
    "BackupConfig",
    "BaselineConfig",
    "CanaryConfig",
    "ContainerNames",
    "ContainerRole",
    "CrontabLocation",
    "DEFAULT_ENV_ALLOWLIST",
    "DEFAULT_HOST_CRONTABS",
    "DEFAULT_JOB_COMMAND_PATTERNS",
    "DashboardConfig",
    "DnsConfig",
    "DnsRecord",
    "DockerConfig",
    "ExamConfig",
    "ExamModeConfig",
    "ExamModeSource",
    "JobsConfig",
    "LogsConfig",
    "OperatorConfig",
    "PlatformConfig",
    "PostgresConfig",
    "PrometheusConfig",
    "ProxyConfig",
    "ROLE_NAMES",
    "RateLimitPolicy",
    "RedisConfig",
    "RehearsalConfig",
    "Section",
    "ServiceUrlConfig",
    "SslMode",
    "StagingConfig",
    "StudentFlowConfig",
    "TargetConfig",
    "ThresholdsConfig",
    "TlsConfig",
    "Via",
]
