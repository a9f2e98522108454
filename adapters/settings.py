"""Settings from the environment (prefix CRM_). Production refuses default secrets."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.notifications.model import RetryPolicy

DEV_SECRET_KEY = "dev-secret-key-change-me-0123456789abcdef"
# 32 bytes, base64: development-only keys for personal-data encryption and the blind index.
DEV_FIELD_KEY = "ZGV2LWZpZWxkLWtleS1jaGFuZ2UtbWUtMDEyMzQ1Njc="
DEV_BLIND_INDEX_KEY = "ZGV2LWJsaW5kLWluZGV4LWtleS1jaGFuZ2UtbWUtMDE="


class SettingsError(RuntimeError):
    pass


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRM_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: str | None = None
    database_replica_url: str | None = None
    redis_url: str | None = None
    queue_name: str = "crm:queue"
    data_dir: Path = Path(".crm-data")

    secret_key: str = DEV_SECRET_KEY
    field_key: str = DEV_FIELD_KEY
    blind_index_key: str = DEV_BLIND_INDEX_KEY
    # Value tiers by annual purchase (DESIGN §6).
    tier_strategic_from: Decimal = Decimal("1000000")
    tier_key_from: Decimal = Decimal("100000")
    access_token_minutes: int = Field(15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(30, ge=1, le=365)
    login_max_failures: int = Field(5, ge=1)
    # How long a web process remembers who a token or API key belongs to (0: not at all). A
    # user disabled or a key revoked in another process is refused at most this much later.
    caller_cache_seconds: float = Field(1.0, ge=0, le=60)
    lockout_minutes: int = Field(15, ge=1)

    host: str = "127.0.0.1"
    port: int = 8000
    # Web processes of `crm serve` sharing the port; None: one per core available.
    web_workers: int | None = Field(None, ge=1, le=64)
    max_body_bytes: int = Field(1024 * 1024, ge=1024)
    max_import_bytes: int = Field(20 * 1024 * 1024, ge=1024)
    # What an imported file may hold, whatever it declares of itself.
    import_max_rows: int = Field(200_000, ge=1)
    import_max_columns: int = Field(200, ge=1, le=16_384)
    import_max_cell_chars: int = Field(32 * 1024, ge=1)
    # The worker runs inside `crm serve` unless a separate `crm worker` does the job.
    embedded_worker: bool = True
    log_level: str = "INFO"
    # Webhooks: the wait before each attempt, in seconds (JSON list; the first is usually 0),
    # the connect/read timeout of one POST, and how many POSTs go out at once per worker.
    webhook_retry_delays: list[float] = Field(
        default_factory=lambda: [0.0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400],
        min_length=1, max_length=50)
    webhook_timeout_seconds: float = Field(5.0, gt=0, le=60)
    webhook_concurrency: int = Field(20, ge=1, le=1000)
    web_dist: Path = Path("web-client/dist")

    # E-mail notifications. No host: e-mails are logged instead of sent.
    smtp_host: str | None = None
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    smtp_from: str = "CRM <crm@localhost>"
    smtp_timeout: float = Field(10.0, gt=0, le=120)
    # Waits (seconds) before each retry of a failed e-mail/SMS; after the last, it has failed.
    delivery_retry_seconds: str = "10,60,300,1800,7200"
    # The SSE stream sends a keep-alive comment after this many quiet seconds.
    sse_keepalive_seconds: float = Field(15.0, gt=0, le=300)

    @field_validator("delivery_retry_seconds")
    @classmethod
    def _retry_schedule(cls, value: str) -> str:
        RetryPolicy.parse(value)
        return value

    @model_validator(mode="after")
    def _refuse_default_secrets_in_production(self) -> Settings:
        if self.env != "production":
            return self
        problems = []
        if not self.secret_key or self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32:
            problems.append("CRM_SECRET_KEY must be set to a secret of at least 32 characters")
        if not self.field_key or DEV_FIELD_KEY in self.field_key:
            problems.append("CRM_FIELD_KEY must be set to your own base64 32-byte key")
        if not self.blind_index_key or self.blind_index_key == DEV_BLIND_INDEX_KEY:
            problems.append("CRM_BLIND_INDEX_KEY must be set to your own base64 32-byte key")
        if not self.database_url:
            problems.append("CRM_DATABASE_URL must point at your PostgreSQL")
        if not self.redis_url:
            problems.append("CRM_REDIS_URL must point at your Redis")
        if problems:
            raise SettingsError("Refusing to start in production: " + "; ".join(problems))
        return self
