"""What the load scripts measure besides their own clocks: percentiles of their latencies, and
the CPU time and peak memory of the processes under test, read from /proc (Linux).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

# ---- percentiles ----------------------------------------------------------------------------
# Two rules, each the one its scripts' published results were computed with: switching a
# script to the other would move its numbers without anything having changed.


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (0-100) by nearest rank: the value at rank round(p% of n)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def pct_index(values: list[float], p: float) -> float:
    """The p-th percentile (0-100) as the value nearest to p % of the way from the smallest
    to the largest (index round(p% of (n - 1))); NaN when there are none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# ---- CPU time and peak memory ---------------------------------------------------------------

HZ = os.sysconf("SC_CLK_TCK")


def _stat(d: Path) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (which may hold spaces)."""
    return (d / "stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """User + system CPU so far of a process and the processes of its group (the web
    processes `crm serve` spawns)."""
    total = 0
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = _stat(d)
        except OSError:
            continue
        if int(d.name) == pid or int(fields[2]) == pid:
            total += int(fields[11]) + int(fields[12])
    return total / HZ


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far."""
    fields = _stat(Path(f"/proc/{pid}"))
    return (int(fields[11]) + int(fields[12])) / HZ


def postgres_cpu_seconds() -> float:
    """User + system CPU so far of every PostgreSQL process on the machine (the backends of
    the servers and of this script; the bench database is the only one busy), and of those that
    ended (the postmaster's reaped children)."""
    total = 0
    for d in Path("/proc").iterdir():
        try:
            if not d.name.isdigit() or (d / "comm").read_text().strip() != "postgres":
                continue
            fields = _stat(d)
        except OSError:
            continue
        total += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return total / HZ


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# ---- who else uses the cores ----------------------------------------------------------------
# For a server started with `start` (its own process group) against one database: what the
# API processes and that database's backends use, and what everything else on the machine
# (other tests, builds) takes from them.


def _busy_jiffies() -> int:
    f = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in f[:8])
    return user + nice + system + irq + softirq + steal


def _our_jiffies(server_pid: int, database: str) -> dict[int, int]:
    """CPU of the API processes (`crm serve` and the web processes it spawned: its process
    group), wrk, and the PostgreSQL backends serving our database."""
    out = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ")
            st = _stat(d)
            ours = (int(st[2]) == server_pid or cmd.startswith(b"wrk ")
                    or (cmd.startswith(b"postgres:") and database.encode() in cmd))
            if ours:
                out[int(d.name)] = int(st[11]) + int(st[12])
        except (OSError, IndexError, ValueError):
            continue
    return out


def api_pids(server_pid: int) -> list[int]:
    """The API processes: `crm serve` and the web processes of its group."""
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                st = _stat(d)
                if int(st[2]) == server_pid and b"resource_tracker" not in (
                        d / "cmdline").read_bytes():
                    pids.append(int(d.name))
            except (OSError, IndexError, ValueError):
                continue
    return pids


def _jiffies_of(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            st = _stat(Path(f"/proc/{pid}"))
            total += int(st[11]) + int(st[12])
        except (OSError, IndexError, ValueError):
            continue
    return total


def _pg_jiffies(database: str) -> int:
    total = 0
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                cmd = (d / "cmdline").read_bytes()
                if cmd.startswith(b"postgres:") and database.encode() in cmd:
                    st = _stat(d)
                    total += int(st[11]) + int(st[12])
            except (OSError, IndexError, ValueError):
                continue
    return total


class CpuWatch:
    """Cores used during a run by everything else on the machine (other tests, builds), and
    the CPU of the API processes and of our PostgreSQL backends."""

    def __init__(self, server_pid: int, database: str) -> None:
        self.pid, self.database = server_pid, database
        self.api = api_pids(server_pid)
        self.t, self.busy = time.monotonic(), _busy_jiffies()
        self.ours = _our_jiffies(server_pid, database)
        self.api0, self.pg0 = _jiffies_of(self.api), _pg_jiffies(database)

    def foreign_cores(self) -> float:
        now, busy = time.monotonic(), _busy_jiffies()
        ours = _our_jiffies(self.pid, self.database)
        used = sum(v - self.ours.get(k, 0) for k, v in ours.items())
        return max(0.0, (busy - self.busy - used) / HZ / (now - self.t))

    def cpu_ms(self) -> tuple[float, float]:
        """Milliseconds of CPU used since the start by the API processes and by PostgreSQL
        (backends that ended during the run are not counted)."""
        return ((_jiffies_of(self.api) - self.api0) * 1000 / HZ,
                (_pg_jiffies(self.database) - self.pg0) * 1000 / HZ)


def wait_quiet(server_pid: int, database: str, limit: float = 0.3,
               max_wait: float = 90) -> float:
    """Waits (bounded) until other processes use less than `limit` cores; answers the load."""
    deadline = time.monotonic() + max_wait
    while True:
        w = CpuWatch(server_pid, database)
        time.sleep(2 if max_wait > 0 else 0.5)
        load = w.foreign_cores()
        if load < limit or time.monotonic() >= deadline:
            return load


def vm_hwm(server_pid: int) -> str:
    """Peak RSS of each API process (VmHWM), the first one (with the job worker) first."""
    parts = []
    for pid in sorted(api_pids(server_pid), key=lambda p: p != server_pid):
        status = Path(f"/proc/{pid}/status").read_text()
        m = re.search(r"VmHWM:\s+(\d+) kB", status)
        assert m
        parts.append(f"{int(m.group(1)) / 1024:.0f}")
    return f"{' + '.join(parts)} MiB (VmHWM per API process)"
