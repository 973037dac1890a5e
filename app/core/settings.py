"""Service settings, read from the environment with the prefix ``JINCHENG_``."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# Secrets that ship with the code so `make run` works; production must replace every one of them.
DEV_JWT_SECRET = "dev-only-jwt-secret-change-me-0123456789"  # noqa: S105
DEV_WECHAT_SECRET = "dev-only-wechat-secret"  # noqa: S105
DEV_HOTLINE_SECRET = "dev-only-hotline-secret"  # noqa: S105


class Environment(StrEnum):
    dev = "dev"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JINCHENG_", env_file=".env", extra="ignore")

    env: Environment = Environment.dev
    # None means: start the embedded PostgreSQL from the pgserver wheel under `data_dir`.
    database_url: str | None = None
    data_dir: Path = Path("var")
    db_pool_size: int = 10
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

    # Working-day rules for SLA clocks.
    timezone: str = "Asia/Shanghai"

    run_worker_in_process: bool | None = Field(
        default=None, description="Run the outbox worker inside `jincheng serve`; defaults to on in dev."
    )

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
