"""The production deployment starts: `crm serve` with CRM_ENV=production and exactly the
environment `compose.yaml` gives it (the image's ENV, then the `x-crm-env` block), its secrets
from `crm keys generate`; and a key other than the database's stops it with one line."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import yaml

from adapters.keys_cli import generated_env
from tests.services import create_database, drop_database

ROOT = Path(__file__).resolve().parents[2]
# ${NAME}, ${NAME:-default} and ${NAME:?message}, as compose interpolates them.
VARIABLE = re.compile(r"\$\{(\w+)(?::([-?])([^}]*))?\}")


def interpolated(value: str, variables: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name, kind, rest = match.groups()
        if variables.get(name):
            return variables[name]
        if kind == "?":
            raise AssertionError(f"compose.yaml requires {name}: {rest}")
        return rest if kind == "-" else ""

    return VARIABLE.sub(one, value)


def image_env() -> dict[str, str]:
    """The CRM_ settings the Dockerfile's final stage sets with ENV."""
    env: dict[str, str] = {}
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("ENV CRM_"):
            env.update(pair.split("=", 1) for pair in line.removeprefix("ENV ").split())
    return env


def compose_env(variables: dict[str, str]) -> dict[str, str]:
    block = yaml.safe_load((ROOT / "compose.yaml").read_text())["x-crm-env"]
    return {name: interpolated(str(value), variables) for name, value in block.items()}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Deployment:
    """The compose environment with the database and Redis pointed at the test servers."""

    def __init__(self, database_url: str, redis: str, workdir: Path) -> None:
        self.secrets = {**generated_env(), "POSTGRES_PASSWORD": uuid.uuid4().hex}
        self.database_url, self.redis, self.workdir = database_url, redis, workdir
        self.port = _free_port()

    def env(self, **overrides: str) -> dict[str, str]:
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
        env = {**inherited, **image_env(), **compose_env({**self.secrets, **overrides})}
        assert env["CRM_ENV"] == "production"
        env.update(CRM_DATABASE_URL=self.database_url, CRM_REDIS_URL=self.redis,
                   CRM_HOST="127.0.0.1", CRM_PORT=str(self.port), CRM_WEB_WORKERS="1",
                   CRM_QUEUE_NAME=f"crm:prod-test:{self.port}", PYTHONPATH=str(ROOT))
        return env

    def run(self, *args: str, **overrides: str) -> subprocess.CompletedProcess[str]:
        # Run from an empty directory: no .env of the checkout is read.
        return subprocess.run([sys.executable, "-m", "adapters.cli", *args], cwd=self.workdir,
                              env=self.env(**overrides), capture_output=True, text=True,
                              timeout=120)

    @contextmanager
    def serving(self, **overrides: str) -> Iterator[str]:
        proc = subprocess.Popen([sys.executable, "-m", "adapters.cli", "serve"],
                                cwd=self.workdir, env=self.env(**overrides),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)
        base = f"http://127.0.0.1:{self.port}"
        try:
            deadline = time.monotonic() + 90
            ready = None
            while time.monotonic() < deadline and ready is None:
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                try:
                    response = httpx.get(f"{base}/readyz", timeout=2)
                    if response.status_code == 200:
                        ready = response
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
            assert ready is not None, "not ready within 90 s"
            yield base
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)


@pytest.fixture
async def deployment(admin_url: str, redis: str, tmp_path: Path) -> AsyncIterator[Deployment]:
    database = await create_database(admin_url, prefix="crm_prod")
    try:
        yield Deployment(database, redis, tmp_path)
    finally:
        await drop_database(admin_url, database)


def refusal(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in done.stderr.splitlines() if line.startswith("crm: ")]
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    return lines[0]


@pytest.mark.slow
def test_the_compose_environment_starts_ready_in_production(deployment: Deployment) -> None:
    migrated = deployment.run("db", "upgrade")  # the compose file's `migrate` service
    assert migrated.returncode == 0, migrated.stderr
    with deployment.serving() as base:
        ready = httpx.get(f"{base}/readyz", timeout=5)
        assert ready.json()["checks"] == {"database": True, "redis": True}


def test_compose_requires_every_production_key() -> None:
    secrets = {**generated_env(), "POSTGRES_PASSWORD": "pw"}
    for name in ("CRM_SECRET_KEY", "CRM_FIELD_KEY", "CRM_BLIND_INDEX_KEY"):
        with pytest.raises(AssertionError, match=name):
            compose_env({k: v for k, v in secrets.items() if k != name})


@pytest.mark.slow
def test_a_wrong_field_key_stops_start_up_and_the_right_one_starts(
        deployment: Deployment) -> None:
    first = deployment.run("users", "create", "--email", "ops@example.com", "--name", "Ops",
                           "--role", "admin", "--password", "long-enough-pass")
    assert first.returncode == 0, first.stderr  # the first start records the key checks
    kid = deployment.secrets["CRM_FIELD_KEY"].split(":")[0]
    other = generated_env()
    same_id = f"{kid}:{other['CRM_FIELD_KEY'].split(':')[1]}"
    for command in ("serve", "worker"):
        line = refusal(deployment.run(command, CRM_FIELD_KEY=same_id))
        assert line.startswith("crm: Refusing to start: CRM_FIELD_KEY") and kid in line
    line = refusal(deployment.run("serve", CRM_FIELD_KEY=other["CRM_FIELD_KEY"]))
    assert "CRM_FIELD_KEY holds none of the keys" in line
    line = refusal(deployment.run("worker", CRM_BLIND_INDEX_KEY=other["CRM_BLIND_INDEX_KEY"]))
    assert line.startswith("crm: Refusing to start: CRM_BLIND_INDEX_KEY")
    with deployment.serving() as base:
        token = httpx.post(f"{base}/api/v1/auth/token", timeout=10,
                           data={"username": "ops@example.com", "password": "long-enough-pass"})
        assert token.status_code == 200, token.text
