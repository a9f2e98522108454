"""Settings from the environment (prefix CRM_). Production refuses default secrets."""

from __future__ import annotations

import base64
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.audit.retention import RetentionTooShort, checked_retention_days
from domain.notifications.model import RetryPolicy

DEV_SECRET_KEY = "dev-secret-key-change-me-0123456789abcdef"
# 32 bytes, base64: development-only keys for personal-data encryption and the blind index.
DEV_FIELD_KEY = "ZGV2LWZpZWxkLWtleS1jaGFuZ2UtbWUtMDEyMzQ1Njc="
DEV_BLIND_INDEX_KEY = "ZGV2LWJsaW5kLWluZGV4LWtleS1jaGFuZ2UtbWUtMDE="


class SettingsError(RuntimeError):
    pass


def valid_key(value: str) -> bool:
    """The base64 of exactly 32 bytes."""
    try:
        return len(base64.b64decode(value, validate=True)) == 32
    except ValueError:
        return False


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRM_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: str | None = None
    database_replica_url: str | None = None
    redis_url: str | None = None
    queue_name: str = "crm:queue"
    # An event queued this long ago whose reactions have not all run is queued again (Redis
    # may have lost it); a job still in Redis is left alone, so a long queue only waits.
    outbox_grace_seconds: float = Field(60.0, gt=0, le=3600)
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
    # Log-in attempts one client address may make per minute, whatever accounts it tries.
    logins_per_address_per_minute: int = Field(20, ge=1)
    # Look-ups of customers or leads by phone or e-mail one caller may make per minute.
    lookups_per_minute: int = Field(30, ge=1)

    host: str = "127.0.0.1"
    port: int = 8000
    # Web processes of `crm serve` sharing the port; None: one per core available.
    web_workers: int | None = Field(None, ge=1, le=64)
    max_body_bytes: int = Field(1024 * 1024, ge=1024)
    max_import_bytes: int = Field(20 * 1024 * 1024, ge=1024)
    # Every API request takes a token from its caller's bucket (per user, per API key, per
    # client address without credentials), shared by all web processes through Redis: up to
    # `burst` at once, refilled at `per_second`. An empty bucket answers 429.
    rate_limit_enabled: bool = True
    rate_limit_per_second: float = Field(50.0, gt=0, le=1_000_000)
    rate_limit_burst: int = Field(200, ge=1, le=10_000_000)
    # Proxies whose X-Forwarded-For and X-Forwarded-Proto are believed: comma-separated
    # addresses or networks ("10.0.0.0/8"), "*" for any. The client's address in the audit log
    # and in the anonymous rate limit is then the one the proxy reports. Empty: no proxy.
    forwarded_allow_ips: str = ""
    # The organisation's language: what the server writes for a caller who chose none and
    # whose browser asks for none of ours (CRM_DEFAULT_LOCALE).
    default_locale: Literal["zh-CN", "en"] = "zh-CN"
    # A count of customers (a segment's size, an XLSX export's check) stops after this long.
    count_timeout_ms: int = Field(5000, ge=10, le=600_000)
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

    # Audit log entries are kept this long (whole months are dropped once they are older).
    audit_retention_days: int = 365
    # `crm db backup` encrypts with this key (base64 of 32 bytes); the daily backup, when a
    # directory is set, runs at this hour (UTC) and keeps the newest `backup_keep` files.
    backup_key: str | None = None
    backup_dir: Path | None = None
    backup_hour: int = Field(2, ge=0, le=23)
    backup_keep: int = Field(7, ge=1)

    @field_validator("audit_retention_days")
    @classmethod
    def _audit_kept_long_enough(cls, value: int) -> int:
        try:
            return checked_retention_days(value)
        except RetentionTooShort as e:
            raise SettingsError(f"Refusing to start: {e}") from None

    @field_validator("backup_key", "backup_dir", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """`CRM_BACKUP_KEY=` (as compose writes an unset variable) means no key."""
        return None if value == "" else value

    @field_validator("backup_key")
    @classmethod
    def _backup_key_is_a_key(cls, value: str | None) -> str | None:
        if value is not None and not valid_key(value):
            raise SettingsError("Refusing to start: CRM_BACKUP_KEY must be the base64 of 32 "
                                "random bytes (e.g. `openssl rand -base64 32`)")
        return value

    @model_validator(mode="after")
    def _scheduled_backups_have_a_key(self) -> Settings:
        if self.backup_dir is not None and not self.backup_key:
            raise SettingsError("Refusing to start: CRM_BACKUP_DIR is set for daily backups, "
                                "but CRM_BACKUP_KEY (their encryption key) is not")
        return self

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
