"""The whole of examday.toml, and the rules that span sections."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, PrivateAttr, ValidationInfo, model_validator

from examday.config.sections import (
    ApiConfig,
    AttestationsConfig,
    BackupConfig,
    CanaryConfig,
    DashboardConfig,
    OperatorConfig,
    StudentFlowConfig,
    BaselineConfig,
    DnsConfig,
    DockerConfig,
    ExamConfig,
    ExamModeConfig,
    JobsConfig,
    LogsConfig,
    PlatformConfig,
    PostgresConfig,
    ProxyConfig,
    RedisConfig,
    Section,
    PrometheusConfig,
    RehearsalConfig,
    AlertmanagerConfig,
    ServiceUrlConfig,
    StagingConfig,
    TargetConfig,
    ThresholdsConfig,
    TlsConfig,
)
from examday.config.types import invalid
from examday.waivers import NotApplicable


class ExamdayConfig(Section):
    target: TargetConfig
    api: ApiConfig
    exam: ExamConfig | None = None
    docker: DockerConfig = Field(default_factory=DockerConfig)
    postgres: PostgresConfig = Field(default_factory=PostgresConfig)
    redis: RedisConfig = Field(default_factory=RedisConfig)
    tls: TlsConfig = Field(default_factory=TlsConfig)
    dns: DnsConfig = Field(default_factory=DnsConfig)
    logs: LogsConfig = Field(default_factory=LogsConfig)
    exam_mode: ExamModeConfig = Field(default_factory=ExamModeConfig)
    platform: PlatformConfig = Field(default_factory=PlatformConfig)
    thresholds: ThresholdsConfig = Field(default_factory=ThresholdsConfig)
    backup: BackupConfig = Field(default_factory=BackupConfig)
    proxy: ProxyConfig = Field(default_factory=ProxyConfig)
    baseline: BaselineConfig = Field(default_factory=BaselineConfig)
    staging: StagingConfig | None = None
    prometheus: PrometheusConfig | None = None
    alertmanager: AlertmanagerConfig | None = None
    dashboard: DashboardConfig | None = None
    flow: StudentFlowConfig = Field(default_factory=StudentFlowConfig)
    operator: OperatorConfig | None = None
    canary: CanaryConfig | None = None
    rehearsal: RehearsalConfig | None = None
    attestations: AttestationsConfig = Field(default_factory=AttestationsConfig)
    jobs: JobsConfig = Field(default_factory=JobsConfig)
    # Items that do not apply to this target, each with who, why and until when.
    not_applicable: list[NotApplicable] = Field(default_factory=list)

    _source_path: Path | None = PrivateAttr(default=None)
    _source_sha256: str | None = PrivateAttr(default=None)

    @property
    def source_path(self) -> Path | None:
        """The file this configuration was loaded from (None when built in code)."""
        return self._source_path

    @model_validator(mode="after")
    def _tls_follows_api(self) -> ExamdayConfig:
        # The API's edge is the certificate that matters most: check it unless told otherwise.
        if "endpoints" not in self.tls.model_fields_set and self.api.base_url.startswith("https://"):
            host = f"[{self.api.host}]" if ":" in self.api.host else self.api.host  # an IPv6 literal
            self.tls.endpoints = [f"{host}:{self.api.port}"]
        if self.tls.ca_bundle is None:
            self.tls.ca_bundle = self.api.ca_bundle
        self.tls.resolve = {**self.api.resolve, **self.tls.resolve}
        return self

    @model_validator(mode="after")
    def _one_certificate_threshold(self) -> ExamdayConfig:
        # Two names for one number (the runbook's and the thresholds table): keep them in step.
        tls_set = "min_days_left" in self.tls.model_fields_set
        thresholds_set = "cert_days" in self.thresholds.model_fields_set
        if tls_set and thresholds_set and self.tls.min_days_left != self.thresholds.cert_days:
            raise invalid(
                f"the same number as tls.min_days_left ({self.tls.min_days_left})",
                "Set only one of them.",
                problem="found {cert_days}, which disagrees",
                key="thresholds.cert_days",
                cert_days=self.thresholds.cert_days,
            )
        if thresholds_set and not tls_set:
            self.tls.min_days_left = self.thresholds.cert_days
        else:
            self.thresholds.cert_days = self.tls.min_days_left
        return self

    @model_validator(mode="after")
    def _exam_mode_sources_are_configured(self) -> ExamdayConfig:
        if "http" in self.exam_mode.sources and not self.api.exam_mode_path:
            raise invalid(
                "api.exam_mode_path to be set when exam_mode.sources lists \"http\"",
                'Set api.exam_mode_path (e.g. "admin/system/exam-mode") or drop "http" from the sources.',
                problem="found no api.exam_mode_path",
                key="exam_mode.sources",
            )
        if "http" in self.exam_mode.sources and self.operator is None:
            raise invalid(
                "an [operator] account when exam_mode.sources lists \"http\"",
                "The exam-mode endpoint is admin-only: add [operator] username and password_env or "
                'password_file, or drop "http" from the sources.',
                problem="found no [operator] section",
                key="exam_mode.sources",
            )
        return self

    @model_validator(mode="after")
    def _baseline_dir_beside_the_config(self, info: ValidationInfo) -> ExamdayConfig:
        base_dir = info.context.get("base_dir") if isinstance(info.context, dict) else None
        if not self.baseline.dir.is_absolute():
            self.baseline.dir = Path(base_dir or ".") / self.baseline.dir
        return self

    @model_validator(mode="after")
    def _default_attestations_file(self, info: ValidationInfo) -> ExamdayConfig:
        if self.attestations.file is None:
            base_dir = info.context.get("base_dir") if isinstance(info.context, dict) else None
            stem = self.exam.id if self.exam else self.target.name
            self.attestations.file = Path(base_dir or ".") / "attestations" / f"{stem}.toml"
        return self
