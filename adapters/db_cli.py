"""`crm db`: the schema's migrations, and encrypted backups and their restore."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from adapters.settings import Settings


def add_parser(sub: Any) -> None:
    db = sub.add_parser("db", help="database schema and backups")
    dbs = db.add_subparsers(dest="db_command", required=True)
    up = dbs.add_parser("upgrade", help="apply migrations")
    up.add_argument("revision", nargs="?", default="head")
    down = dbs.add_parser("downgrade", help="revert migrations")
    down.add_argument("revision")
    b = dbs.add_parser("backup", help="an encrypted pg_dump (CRM_BACKUP_KEY) to FILE, or into "
                       "the backup directory keeping the newest N")
    b.add_argument("file", nargs="?", help="default: a new file in --dir / CRM_BACKUP_DIR")
    b.add_argument("--dir", type=Path, help="the backup directory (default CRM_BACKUP_DIR)")
    b.add_argument("--keep", type=int, metavar="N",
                   help="backups kept in the directory (default CRM_BACKUP_KEEP)")
    dbs.add_parser("restore", help="decrypt and pg_restore FILE made by `crm db backup`"
                   ).add_argument("file")


async def db_command(settings: Settings, args: argparse.Namespace) -> None:
    from adapters.bootstrap import resolve_services
    from adapters.db.migrate import downgrade, upgrade

    # A backup without its key is refused before any server is started or touched.
    key = backup_key(settings) if args.db_command in ("backup", "restore") else None
    settings = resolve_services(settings)
    url = settings.database_url
    assert url
    if args.db_command == "upgrade":
        await upgrade(url, args.revision)
    elif args.db_command == "downgrade":
        await downgrade(url, args.revision)
    elif key is not None:
        await backup_command(settings, url, key, args)


def backup_key(settings: Settings) -> bytes:
    from adapters.crypto.backup_stream import decode_key

    if not settings.backup_key:
        print("crm: CRM_BACKUP_KEY is not set: backups are encrypted with it (the base64 of 32 "
              "random bytes, e.g. `openssl rand -base64 32`; keep it apart from the backups)",
              file=sys.stderr)
        raise SystemExit(2)
    return decode_key(settings.backup_key)


async def backup_command(settings: Settings, url: str, key: bytes,
                         args: argparse.Namespace) -> None:
    import subprocess

    from adapters import backup
    from adapters.crypto.backup_stream import BackupError

    try:
        if args.db_command == "restore":
            await backup.restore(url, Path(args.file), key)
            print(f"restored from {args.file}")
        elif args.file:
            await backup.backup(url, Path(args.file), key)
            print(f"backup written to {args.file}")
        else:
            directory = args.dir or settings.backup_dir
            if directory is None:
                raise SystemExit("crm: name a FILE, or a directory with --dir or CRM_BACKUP_DIR")
            keep = args.keep or settings.backup_keep
            file, removed = await backup.backup_into(url, Path(directory), key, keep)
            print(f"backup written to {file}; {len(removed)} older removed, newest {keep} kept")
    except (BackupError, OSError, RuntimeError, subprocess.CalledProcessError) as e:
        print(f"crm: {e}", file=sys.stderr)
        raise SystemExit(1) from None
