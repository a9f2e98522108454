"""Encrypted backups: the cost of encryption on top of pg_dump, and memory that stays flat.

    .venv/bin/python bench/backup_bench.py [--mib 512] [--audit-rows 300000]

1. The stream alone: `--mib` MiB from a pipe (a child process writing a fixed pattern) are
   encrypted into a file and decrypted again; throughput and this process's peak RSS.
2. A database: a throwaway database (crm_bench_backup_*, dropped at the end) with
   `--audit-rows` audit entries spread over 24 monthly partitions, backed up plain (pg_dump to a file) and
   encrypted (`adapters.backup.backup`), then restored encrypted into another database; wall
   times and file sizes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adapters import backup  # noqa: E402
from adapters.crypto.backup_stream import decrypt_stream, encrypt_stream  # noqa: E402
from adapters.db.audit_partitions import SqlAuditPartitions  # noqa: E402
from adapters.db.engine import build_engine, libpq_url  # noqa: E402
from adapters.db.migrate import upgrade  # noqa: E402
from domain.audit.model import Month  # noqa: E402
from tests.services import admin_database_url, create_database, drop_database  # noqa: E402

KEY = os.urandom(32)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stream(mib: int, work: Path) -> None:
    writer = (f"import sys; b = bytes(range(256)) * 4096\n"
              f"for _ in range({mib}): sys.stdout.buffer.write(b)")
    sealed = work / "stream.enc"
    with subprocess.Popen([sys.executable, "-c", writer], stdout=subprocess.PIPE) as child, \
            open(sealed, "wb") as out:
        assert child.stdout is not None
        started = time.perf_counter()
        encrypt_stream(child.stdout, out, KEY)
        encrypt_s = time.perf_counter() - started
    with open(sealed, "rb") as src, open(os.devnull, "wb") as sink:
        started = time.perf_counter()
        decrypt_stream(src, sink, KEY)
        decrypt_s = time.perf_counter() - started
    overhead = sealed.stat().st_size / (mib * 1024 * 1024) - 1
    print(f"stream: {mib} MiB encrypted from a pipe in {encrypt_s:.2f} s "
          f"({mib / encrypt_s:.0f} MiB/s, incl. the writer), decrypted in {decrypt_s:.2f} s "
          f"({mib / decrypt_s:.0f} MiB/s); size overhead {overhead:.4%}; "
          f"peak RSS {peak_rss_mib():.0f} MiB")


async def database(rows: int, work: Path) -> None:
    admin = admin_database_url()
    source = await create_database(admin, prefix="crm_bench_backup")
    target = await create_database(admin, prefix="crm_bench_backup")
    try:
        await upgrade(source)
        engine = build_engine(source, pool_size=1)
        month = Month.of(datetime.now(UTC) - timedelta(days=730))
        for _ in range(26):  # the months the entries fall in, as the retention job makes them
            await SqlAuditPartitions(engine).create(month)
            month = month.next()
        async with engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO audit_log (at, actor_type, actor_label, action, target_type, "
                "target_id, diff) SELECT now() - (n % 720) * interval '1 day', 'user', "
                "'Li Lei', 'customer.updated', 'customer', md5(n::text), jsonb_build_object("
                "'name', jsonb_build_array(md5(n::text), md5((n + 1)::text))) "
                "FROM generate_series(1, :rows) AS n"), {"rows": rows})
        await engine.dispose()
        plain = work / "plain.dump"
        tool = backup.pick_tool("pg_dump", await backup.server_major(source))
        started = time.perf_counter()
        subprocess.run([tool, "--format=custom", "--no-owner", f"--file={plain}",
                        f"--dbname={libpq_url(source)}"], check=True)
        plain_s = time.perf_counter() - started
        sealed = work / "crm.dump.enc"
        started = time.perf_counter()
        await backup.backup(source, sealed, KEY)
        sealed_s = time.perf_counter() - started
        started = time.perf_counter()
        await backup.restore(target, sealed, KEY)
        restore_s = time.perf_counter() - started
        print(f"database: {rows:,} audit entries; pg_dump to a file {plain_s:.2f} s "
              f"({plain.stat().st_size / 2**20:.1f} MiB); encrypted backup {sealed_s:.2f} s "
              f"({sealed.stat().st_size / 2**20:.1f} MiB); encrypted restore into an empty "
              f"database {restore_s:.2f} s")
    finally:
        await drop_database(admin, source)
        await drop_database(admin, target)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=512)
    parser.add_argument("--audit-rows", type=int, default=300_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="crm-backup-bench-") as tmp:
        stream(args.mib, Path(tmp))
        asyncio.run(database(args.audit_rows, Path(tmp)))


if __name__ == "__main__":
    main()
