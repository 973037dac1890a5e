"""Service settings, read from the environment with the prefix ``JINCHENG_``."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Secrets that ship with the code so `make run` works; production must replace every one of them.
DEV_JWT_SECRET = "dev-only-jwt-secret-change-me-0123456789"  # noqa: S105
DEV_WECHAT_SECRET = "dev-only-wechat-secret"  # noqa: S105
DEV_HOTLINE_SECRET = "dev-only-hotline-secret"  # noqa: S105


class Environment(StrEnum):
    dev = "dev"
    test = "test"
    production = "production"


# Events that may carry a WeChat subscribe message (one template per event, see `wechat_templates`).
NOTIFY_EVENTS = frozenset(
    {
        "complaint_accepted",
        "complaint_rejected",
        "complaint_dispatched",
        "complaint_resolved",
        "complaint_reopened",
        "complaint_extended",
        "task_dispatched",
        "task_reminded",
        "task_supervised",
        "volunteer_reminder_24h",
        "volunteer_reminder_2h",
        "volunteer_promoted",
        "volunteer_checkout_forgotten",
    }
)


class WeChatTemplate(BaseModel):
    """One subscribe-message template: its id, the page it opens, and where each field's value comes from.

    ``fields`` maps the template's keys (``thing1``, ``time2``, ``character_string3`` ...; the key without its
    digits is the value type) to the name of a value passed to ``notify(..., template_values=...)``.
    """

    template_id: str = Field(min_length=1, max_length=128)
    page: str | None = Field(default=None, max_length=256)
    fields: dict[str, str] = Field(min_length=1)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JINCHENG_", env_file=".env", extra="ignore")

    env: Environment = Environment.dev
    # None means: start the embedded PostgreSQL from the pgserver wheel under `data_dir`.
    database_url: str | None = None
    data_dir: Path = Path("var")
    # Connections per process. Requests past this many at once wait for one (``db_pool_timeout_seconds``)
    # rather than open one: see ``app.core.db.create_engine``.
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=0, ge=0)
    # A request that waited this long for a connection answers 503 server.busy with Retry-After.
    db_pool_timeout_seconds: float = Field(default=10, gt=0)
    # Connections older than this are replaced at checkout (instead of a pre-ping on every checkout).
    db_pool_recycle_seconds: int = Field(default=1800, ge=30)
    db_echo: bool = False

    host: str = "127.0.0.1"
    port: int = 8000
    max_json_body_bytes: int = 1024 * 1024
    log_level: str = "INFO"

    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    jwt_audience: str = "jincheng-api"
    jwt_issuer: str = "jincheng"
    access_token_ttl_seconds: int = 15 * 60
    refresh_token_ttl_days: int = 30

    wechat_appid: str = "wxdev0000000000000"
    wechat_secret: SecretStr = SecretStr(DEV_WECHAT_SECRET)
    # None in dev means: mount the fake WeChat server in-process and point the client at it.
    wechat_base_url: str | None = None
    wechat_timeout_seconds: float = 5.0

    hotline_secret: SecretStr = SecretStr(DEV_HOTLINE_SECRET)
    # argon2 hashes running at once in one process (each takes ~64 MiB and a core for a while).
    password_hash_concurrency: int = Field(default=2, ge=1, le=64)

    # Where clients reach this service; signed image URLs in responses are absolute under it.
    public_base_url: str = "http://127.0.0.1:8000"

    # Working-day rules for SLA clocks.
    timezone: str = "Asia/Shanghai"
    working_hours: str = Field(
        default="08:30-12:00,13:30-17:30", description="Office hours on a working day, local time, comma-separated"
    )
    # Warn on /readyz about every year within this many days from today that has no holiday calendar.
    calendar_lookahead_days: int = Field(default=45, ge=0, le=366)

    # Outbox worker.
    outbox_batch_size: int = Field(default=20, ge=1, le=500)
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    outbox_lease_seconds: float = Field(default=60.0, gt=0)
    outbox_handler_timeout_seconds: float = Field(default=30.0, gt=0)
    outbox_max_attempts: int = Field(default=8, ge=1)
    outbox_backoff_base_seconds: float = Field(default=10.0, gt=0)
    outbox_backoff_cap_seconds: float = Field(default=3600.0, gt=0)
    # Extra modules `jincheng worker` imports so that they register outbox handlers / periodic jobs.
    worker_plugins: list[str] = Field(default_factory=list)

    # WeChat subscribe-message templates, one per event (JSON in JINCHENG_WECHAT_TEMPLATES).
    wechat_templates: dict[str, WeChatTemplate] = Field(default_factory=dict)
    wechat_miniprogram_state: str = Field(default="formal", pattern="^(developer|trial|formal)$")

    # Production posture (app/core/posture.py).
    public_docs: bool = Field(default=False, description="In production, serve /docs and /openapi.json")
    metrics_allow_ips: list[str] = Field(default_factory=lambda: ["127.0.0.1/32", "::1/128"])
    metrics_token: SecretStr | None = None
    cors_allow_origins: list[str] = Field(default_factory=list)

    # Rate limits (app/core/ratelimit.py): counts in process memory, or in Redis when redis_url is set so that
    # every replica shares them. Each limit is "<count>/<period>", e.g. "10/hour" or "10 per 15 minutes".
    redis_url: str | None = Field(default=None, description="redis://host:6379/0; unset keeps counts in memory")
    rate_limit_enabled: bool = True
    rate_limit_strategy: str = Field(default="moving-window", pattern="^(moving-window|fixed-window)$")
    rate_limit_key_prefix: str = Field(default="jincheng", min_length=1, max_length=64)
    rate_limit_password_login_ip: str = "30/minute"  # noqa: S105 (a limit, not a password)
    rate_limit_password_login_username: str = "10 per 15 minutes"  # noqa: S105
    rate_limit_wechat_login_ip: str = "60/minute"
    rate_limit_complaint_submit: str = "10/hour"
    rate_limit_upload: str = "60/hour"
    rate_limit_invite_redeem: str = "10/hour"
    rate_limit_invite_redeem_ip: str = "30/hour"
    rate_limit_hotline_lookup: str = "60/minute"

    run_worker_in_process: bool | None = Field(
        default=None, description="Run the outbox worker inside `jincheng serve`; defaults to on in dev."
    )

    @field_validator("wechat_templates")
    @classmethod
    def _known_events(cls, value: dict[str, WeChatTemplate]) -> dict[str, WeChatTemplate]:
        unknown = sorted(set(value) - NOTIFY_EVENTS)
        if unknown:
            raise ValueError(f"unknown notification events: {unknown}; known: {sorted(NOTIFY_EVENTS)}")
        return value

    @field_validator(
        "rate_limit_password_login_ip",
        "rate_limit_password_login_username",
        "rate_limit_wechat_login_ip",
        "rate_limit_complaint_submit",
        "rate_limit_upload",
        "rate_limit_invite_redeem",
        "rate_limit_invite_redeem_ip",
        "rate_limit_hotline_lookup",
    )
    @classmethod
    def _valid_rate_limit(cls, value: str) -> str:
        from limits import parse

        parse(value)  # raises ValueError on anything it cannot read
        return value

    @field_validator("metrics_allow_ips")
    @classmethod
    def _valid_networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        for net in value:
            ipaddress.ip_network(net, strict=False)  # ValueError names the bad entry
        return value

    @field_validator("working_hours")
    @classmethod
    def _valid_hours(cls, value: str) -> str:
        from app.core.calendar import parse_working_hours

        parse_working_hours(value)
        return value

    @model_validator(mode="after")
    def _lease_outlasts_handler(self) -> Settings:
        # A lease shorter than a handler may run would let a second worker deliver while the first still is.
        if self.outbox_lease_seconds <= self.outbox_handler_timeout_seconds:
            raise ValueError("outbox_lease_seconds must be longer than outbox_handler_timeout_seconds")
        return self

    @property
    def worker_enabled_in_process(self) -> bool:
        if self.run_worker_in_process is None:
            return self.env is Environment.dev
        return self.run_worker_in_process

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    def uses_fake_wechat(self) -> bool:
        return self.wechat_base_url is None or "/_dev/wechat" in self.wechat_base_url

    def production_problems(self) -> list[str]:
        """Reasons the service must not start in production; empty when it may."""
        if self.env is not Environment.production:
            return []
        problems: list[str] = []
        if not self.database_url:
            problems.append("JINCHENG_DATABASE_URL 未设置：生产环境不使用内置 PostgreSQL")
        dev_defaults = {
            "JINCHENG_JWT_SECRET": (self.jwt_secret, DEV_JWT_SECRET),
            "JINCHENG_WECHAT_SECRET": (self.wechat_secret, DEV_WECHAT_SECRET),
            "JINCHENG_HOTLINE_SECRET": (self.hotline_secret, DEV_HOTLINE_SECRET),
        }
        for name, (value, default) in dev_defaults.items():
            if value.get_secret_value() == default:
                problems.append(f"{name} 仍是开发默认值")
        if len(self.jwt_secret.get_secret_value()) < 32:
            problems.append("JINCHENG_JWT_SECRET 至少需要 32 个字符")
        if self.uses_fake_wechat():
            problems.append("JINCHENG_WECHAT_BASE_URL 指向模拟微信服务器或未设置")
        return problems


class ProductionConfigError(RuntimeError):
    pass


def check_production(settings: Settings) -> None:
    problems = settings.production_problems()
    if problems:
        raise ProductionConfigError("生产环境配置不安全，拒绝启动：\n- " + "\n- ".join(problems))


@lru_cache
def get_settings() -> Settings:
    return Settings()
