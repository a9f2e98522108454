"""`crm db backup` / `crm db restore` with pg_dump / pg_restore of a fitting version."""

from __future__ import annotations

import asyncio
import glob
import os
import re
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import text

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


async def backup(url: str, file: Path) -> None:
    tool = pick_tool("pg_dump", await server_major(url))
    await _run([tool, "--format=custom", "--no-owner", f"--file={file}",
                f"--dbname={libpq_url(url)}"])


async def restore(url: str, file: Path) -> None:
    tool = pick_tool("pg_restore", await server_major(url))
    await _run([tool, "--clean", "--if-exists", "--no-owner", "--single-transaction",
                "--exit-on-error", f"--dbname={libpq_url(url)}", str(file)])
