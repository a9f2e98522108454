"""Scheduled housekeeping: the audit log's months, and the daily encrypted backup."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Any

from arq.cron import CronJob, cron

import adapters
from adapters.settings import Settings
from domain.audit.retention import AuditRetention

log = logging.getLogger("crm.worker")

# As short as the other jobs': arq holds a killed worker's job for the longest timeout + 10 s.
HOUSEKEEPING_TIMEOUT_SECONDS = 20
# Where `adapters` is imported from, for the backup process to import it too.
PROJECT_ROOT = str(Path(adapters.__file__).resolve().parents[1])
# Keeps the running backups' watchers referenced until they end.
running_backups: set[asyncio.Task[None]] = set()


async def keep_audit_months(ctx: dict[str, Any]) -> dict[str, Any]:
    """Prepares the coming months of the audit log and drops those past retention."""
    retention: AuditRetention = ctx["audit_retention"]
    report = await retention.run()
    return {"created": [str(m) for m in report.created],
            "dropped": [str(m) for m in report.dropped], "purged": report.purged_strays}


async def start_daily_backup(ctx: dict[str, Any]) -> int:
    """Starts `crm db backup --keep N` as a process of its own and answers its pid: a dump may
    take far longer than a job may hold its lock, and it goes on if this worker restarts."""
    settings: Settings = ctx["settings"]
    assert settings.backup_dir is not None and settings.backup_key
    # The settings as this process resolved them (embedded servers' URLs included).
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [
               PROJECT_ROOT, os.environ.get("PYTHONPATH")])),
           "CRM_DATABASE_URL": settings.database_url or "",
           "CRM_REDIS_URL": settings.redis_url or "",
           "CRM_BACKUP_KEY": settings.backup_key, "CRM_BACKUP_DIR": str(settings.backup_dir)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "adapters.cli", "db", "backup", "--keep", str(settings.backup_keep),
        env=env, start_new_session=True,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    log.info("daily backup started (pid %s) into %s", process.pid, settings.backup_dir)
    watcher = asyncio.create_task(_report(process))
    running_backups.add(watcher)
    watcher.add_done_callback(running_backups.discard)
    return process.pid


async def _report(process: asyncio.subprocess.Process) -> None:
    out, err = await process.communicate()
    if process.returncode == 0:
        log.info("daily backup done: %s", out.decode(errors="replace").strip())
    else:
        log.error("daily backup failed (exit %s): %s", process.returncode,
                  err.decode(errors="replace").strip()[-2000:])


def housekeeping_crons(settings: Settings) -> list[CronJob]:
    jobs = [cron(keep_audit_months, hour=3, minute=30, run_at_startup=True, unique=True,
                 timeout=HOUSEKEEPING_TIMEOUT_SECONDS)]
    if settings.backup_dir is not None:
        jobs.append(cron(start_daily_backup, hour=settings.backup_hour, minute=0, unique=True,
                         timeout=HOUSEKEEPING_TIMEOUT_SECONDS))
    return jobs


def housekeeping_context(container: Any) -> dict[str, Any]:
    return {"audit_retention": container.audit_retention, "settings": container.settings}
