"""arq locks each job a worker takes for the longest timeout of all the worker's functions plus
10 s: a hard-killed worker's jobs (events, imports, crons alike) go again within 30 s."""

from __future__ import annotations

from types import SimpleNamespace

from arq.connections import RedisSettings

from adapters.jobs.worker import build_worker


def test_a_killed_workers_jobs_are_locked_for_30_s_at_most() -> None:
    container = SimpleNamespace(
        queue=SimpleNamespace(queue_name="q"), redis_settings=RedisSettings(),
        dispatcher=None, imports=None, exports=None, discipline=None, contracts=None,
        delivery=None)
    for burst in (False, True):
        worker = build_worker(container, handle_signals=False, burst=burst)
        assert worker.in_progress_timeout_s <= 30
        assert all((f.timeout_s or worker.job_timeout_s) + 10 <= 30
                   for f in worker.functions.values())
