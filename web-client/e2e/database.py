"""Throwaway database for the browser tests: `create` prints a fresh database URL, `drop URL`
removes it. Uses the same rules as the Python tests (tests/services.py): the machine's
PostgreSQL when reachable, else the embedded server."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.services import admin_database_url, create_database, drop_database


def main() -> None:
    admin = admin_database_url()
    if sys.argv[1] == "create":
        print(asyncio.run(create_database(admin, prefix="crm_e2e")))
    elif sys.argv[1] == "drop":
        asyncio.run(drop_database(admin, sys.argv[2]))
    else:
        raise SystemExit("usage: database.py create | drop URL")


if __name__ == "__main__":
    main()
