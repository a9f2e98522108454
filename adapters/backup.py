"""`crm db backup` / `crm db restore` with pg_dump / pg_restore of a fitting version.

A backup is encrypted as it is dumped (adapters/crypto/backup_stream.py): the plaintext dump is
never written to disk. A restore first decrypts and checks the whole file into a private
temporary file, so a wrong key or an altered backup stops before the database is touched.
"""

from __future__ import annotations

import asyncio
import glob
import os
import re
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from adapters.crypto.backup_stream import decrypt_stream, encrypt_stream
from adapters.db.engine import build_engine, libpq_url
from adapters.embedded import embedded_pg_bin


def _major(binary: str) -> int | None:
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)
    except OSError:
        return None
    m = re.search(r"(\d+)(?:\.\d+)?", out.stdout)
    return int(m.group(1)) if m else None


def _candidates(tool: str) -> list[str]:
    found = []
    emb = embedded_pg_bin()
    if emb is not None and (emb / tool).exists():
        found.append(str(emb / tool))
    found += sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"))
    which = shutil.which(tool)
    if which:
        found.append(which)
    return found


def pick_tool(tool: str, server_major: int) -> str:
    """The oldest tool that is at least as new as the server (older ones refuse to dump)."""
    usable = [(m, b) for b in _candidates(tool) if (m := _major(b)) and m >= server_major]
    if not usable:
        raise RuntimeError(f"no {tool} of version {server_major} or newer was found")
    return min(usable)[1]


async def server_major(url: str) -> int:
    engine = build_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            num = int(await conn.scalar(text("SHOW server_version_num")) or 0)
    finally:
        await engine.dispose()
    return num // 10000


async def _run(args: list[str]) -> None:
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    await asyncio.to_thread(subprocess.run, args, check=True, env=env)


def _dump_encrypted(args: list[str], file: Path, key: bytes) -> None:
    """pg_dump's output, encrypted on the way, into `file` (written whole or not at all)."""
    partial = file.with_name(file.name + ".partial")
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    try:
        # stderr to a file: a pipe nobody reads until the end could fill and stall pg_dump.
        with open(partial, "wb") as out, tempfile.TemporaryFile() as errors, subprocess.Popen(
                args, stdout=subprocess.PIPE, stderr=errors, env=env) as dump:
            assert dump.stdout is not None
            encrypt_stream(dump.stdout, out, key)
            if dump.wait() != 0:
                errors.seek(0)
                raise RuntimeError("pg_dump failed: "
                                   + errors.read().decode(errors="replace").strip())
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, file)
    finally:
        partial.unlink(missing_ok=True)


async def backup(url: str, file: Path, key: bytes) -> None:
    tool = pick_tool("pg_dump", await server_major(url))
    await asyncio.to_thread(_dump_encrypted, [
        tool, "--format=custom", "--no-owner", f"--dbname={libpq_url(url)}"], file, key)


def _decrypted_copy(file: Path, key: bytes, into: Path) -> Path:
    plain = into / "crm.dump"
    with open(file, "rb") as src, open(plain, "wb") as dst:
        decrypt_stream(src, dst, key)
    return plain


async def restore(url: str, file: Path, key: bytes) -> None:
    """Raises BackupError (wrong key, altered file) before touching the database."""
    # mkdtemp: a directory only this user may read, for the short-lived plaintext.
    private = Path(tempfile.mkdtemp(prefix="crm-restore-"))
    try:
        plain = await asyncio.to_thread(_decrypted_copy, file, key, private)
        tool = pick_tool("pg_restore", await server_major(url))
        await _run([tool, "--clean", "--if-exists", "--no-owner", "--single-transaction",
                    "--exit-on-error", f"--dbname={libpq_url(url)}", str(plain)])
    finally:
        shutil.rmtree(private, ignore_errors=True)


# Backups made into a directory: crm-20261207T021500Z.dump.enc (sorting by name sorts by age).
KEPT_NAME = re.compile(r"^crm-\d{8}T\d{6}Z\.dump\.enc$")


async def backup_into(url: str, directory: Path, key: bytes, keep: int,
                      now: datetime | None = None) -> tuple[Path, list[Path]]:
    """A new backup in `directory`, then only the newest `keep` are kept: (new file, removed)."""
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    now = now or datetime.now(UTC)
    file = directory / f"crm-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}.dump.enc"
    await backup(url, file, key)
    return file, await asyncio.to_thread(prune, directory, keep)


def prune(directory: Path, keep: int) -> list[Path]:
    """Removes all but the newest `keep` backups; other files in the directory are left alone."""
    kept = sorted(path for path in directory.iterdir() if KEPT_NAME.match(path.name))
    removed = kept[:-keep] if keep > 0 else kept
    for path in removed:
        path.unlink(missing_ok=True)
    return removed
