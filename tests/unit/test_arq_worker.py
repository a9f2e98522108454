"""A tripwire on the arq internals adapters/jobs/arq_worker.py relies on: when an arq release
changes the methods PromptWorker replaces, or the state they share, this fails and says where
to look, instead of the worker misbehaving quietly."""

from __future__ import annotations

import hashlib
import inspect

from arq.worker import Worker, func

from adapters.jobs.arq_worker import PromptWorker

# sha256 of the source of each Worker method that PromptWorker replaces or calls, as in the
# pinned release: a change means PromptWorker must be read against the new code.
UPSTREAM = {
    "main": "45ca1591c9717466",
    "start_jobs": "b45797cfa40bed7f",
    "_poll_iteration": "f8d39d823a0a59f2",
}


def fingerprint(method: str) -> str:
    return hashlib.sha256(inspect.getsource(getattr(Worker, method)).encode()).hexdigest()[:16]


def test_the_arq_methods_prompt_worker_replaces_are_the_ones_it_was_written_against() -> None:
    assert {method: fingerprint(method) for method in UPSTREAM} == UPSTREAM


async def test_the_worker_state_prompt_worker_uses_is_still_there() -> None:
    async def job(ctx: dict[str, object]) -> None:
        return None

    worker = PromptWorker(functions=[func(job, name="job")], queue_name="q", burst=True,
                          handle_signals=False)
    for name in ("sem", "job_counter", "max_jobs", "tasks", "in_progress_timeout_s",
                 "poll_delay_s", "max_burst_jobs", "queue_name", "ctx", "on_startup",
                 "job_serializer", "job_deserializer", "expires_extra_ms", "loop"):
        assert hasattr(worker, name), name
    for method in ("_release_sem_dec_counter_on_complete", "_jobs_started", "run_job"):
        assert callable(getattr(worker, method)), method


def test_prompt_worker_overrides_only_public_methods_of_arq() -> None:
    replaced = {name for name, value in vars(PromptWorker).items()
                if callable(value) and hasattr(Worker, name)}
    assert replaced == {"__init__", "main", "start_jobs"}
