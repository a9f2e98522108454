"""arq locks each job a worker takes for the longest timeout of all the worker's functions plus
10 s: a hard-killed worker's jobs (events, imports, crons alike) go again within 30 s."""

from __future__ import annotations

import base64
from pathlib import Path
from types import SimpleNamespace

from arq.connections import RedisSettings

from adapters.jobs.worker import build_worker
from adapters.settings import Settings


def test_a_killed_workers_jobs_are_locked_for_30_s_at_most() -> None:
    container = SimpleNamespace(
        queue=SimpleNamespace(queue_name="q"), redis_settings=RedisSettings(),
        dispatcher=None, imports=None, exports=None, discipline=None, contracts=None,
        delivery=None, relay=None, audit_retention=None,
        # With a backup directory, so the daily backup's cron is among the functions checked.
        settings=Settings(env="test", backup_dir=Path("/nonexistent"),
                          backup_key=base64.b64encode(bytes(32)).decode()))
    for burst in (False, True):
        worker = build_worker(container, handle_signals=False, burst=burst)
        assert worker.in_progress_timeout_s <= 30
        assert all((f.timeout_s or worker.job_timeout_s) + 10 <= 30
                   for f in worker.functions.values())
