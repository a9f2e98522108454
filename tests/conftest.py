"""Shared fixtures: one throwaway database per run, a clean slate per test, real Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text

from adapters.bootstrap import Container, build
from adapters.db.migrate import upgrade
from adapters.db.tables import metadata
from adapters.jobs.worker import build_worker
from adapters.settings import Settings
from adapters.web import create_web_app
from domain.identity.model import Department, User
from domain.identity.service import principal_of
from domain.shared.authz import Actor, Role, system_actor
from tests.services import admin_database_url, create_database, drop_database, redis_url

PASSWORD = "correct-horse-battery"

# Property tests check behaviour, not speed: no per-example deadline on a busy machine.
hypothesis_settings.register_profile("crm", deadline=None)
hypothesis_settings.load_profile("crm")


class CachingHasher:
    """Real argon2, but each distinct password is hashed once per run (tests create many users)."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.cache: dict[str, str] = {}

    async def hash(self, password: str) -> str:
        if password not in self.cache:
            self.cache[password] = await self.inner.hash(password)  # type: ignore[attr-defined]
        return self.cache[password]

    async def verify(self, password: str, hashed: str) -> bool:
        return await self.inner.verify(password, hashed)  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def admin_url() -> str:
    return admin_database_url()


@pytest.fixture(scope="session")
def redis(tmp_path_factory: pytest.TempPathFactory) -> str:
    url, _proc = redis_url(tmp_path_factory.mktemp("redis"))
    return url


@pytest.fixture(scope="session")
async def database_url(admin_url: str) -> AsyncIterator[str]:
    url = await create_database(admin_url)
    await upgrade(url)
    yield url
    await drop_database(admin_url, url)


@pytest.fixture(scope="session")
def settings(database_url: str, redis: str) -> Settings:
    return Settings(env="test", database_url=database_url, redis_url=redis,
                    queue_name=f"crm:test:{uuid.uuid4().hex[:8]}", web_dist=Path("/nonexistent"),
                    login_max_failures=3, lockout_minutes=15,
                    # the suite reads the English words; tests of zh-CN ask for it by header
                    default_locale="en",
                    # on, so every test goes through the limiter, but never in a test's way
                    rate_limit_per_second=100_000, rate_limit_burst=1_000_000)


@pytest.fixture(scope="session")
async def container(settings: Settings) -> AsyncIterator[Container]:
    c = build(settings)
    c.identity.hasher = CachingHasher(c.identity.hasher)
    yield c
    await c.close()


# Reference lists seeded by the migrations stay; everything else is emptied between tests.
SEEDED = {"picklists", "notification_templates"}
TABLES = [t.name for t in reversed(metadata.sorted_tables) if t.name not in SEEDED]


@pytest.fixture(autouse=True)
async def clean_slate(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Every integration test starts from empty tables."""
    if "container" not in request.fixturenames:
        yield
        return
    c: Container = request.getfixturevalue("container")
    async with c.engine.begin() as conn:
        await conn.execute(text("SET LOCAL crm.audit_retention = 'on'"))
        await conn.execute(text(f"TRUNCATE {', '.join(TABLES)} CASCADE"))
        await conn.execute(text("DELETE FROM notification_templates WHERE NOT builtin"))
    # The previous test's queued jobs point at rows that are gone now: a retry of one (its
    # consumer failing on the missing rows, backing off) would keep a burst worker waiting.
    pool = await c.queue.pool()
    await pool.delete(c.queue.queue_name)
    # Rate limits count per client address, and every test calls from the same one.
    await c.limiter.clear()
    yield


@pytest.fixture
async def client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    app = create_web_app(container)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://crm.test") as c:
        yield c


class World:
    """A small organisation: HQ with two sales departments, one user per role."""

    def __init__(self, container: Container) -> None:
        self.c = container
        self.departments: dict[str, Department] = {}
        self.users: dict[str, User] = {}

    async def build(self) -> World:
        sys_actor = system_actor("test")
        hq = await self.c.identity.create_department(sys_actor, "HQ", None)
        east = await self.c.identity.create_department(sys_actor, "East sales", hq.id)
        north = await self.c.identity.create_department(sys_actor, "North sales", hq.id)
        self.departments = {"hq": hq, "east": east, "north": north}
        people = {
            "admin": (Role.ADMIN, hq), "manager": (Role.MANAGER, east),
            "rep": (Role.SALES_REP, east), "north_rep": (Role.SALES_REP, north),
            "north_manager": (Role.MANAGER, north), "finance": (Role.FINANCE, hq),
            "executive": (Role.EXECUTIVE, hq), "legal": (Role.LEGAL, hq),
            "service_agent": (Role.SERVICE_AGENT, hq),
        }
        for key, (role, dept) in people.items():
            self.users[key] = await self.user(key, role, dept)
        for key, label, type_ in (("erp_code", "ERP code", "text"),
                                  ("employees", "Employees", "number")):
            await self.c.catalog.define_field(sys_actor, key=key, label=label, type=type_)
        return self

    async def user(self, key: str, role: Role, dept: Department | None) -> User:
        return await self.c.identity.create_user(
            system_actor("test"), email=f"{key}.{uuid.uuid4().hex[:6]}@example.com",
            name=key.replace("_", " ").title(), role=role,
            department_id=dept.id if dept else None, password=PASSWORD)

    def token(self, key: str) -> str:
        user = self.users[key]
        return self.c.identity.tokens.issue_access(user, self.c.clock.now())[0]

    def actor(self, key: str) -> Actor:
        """The user acting straight on the services (tests with a controlled clock)."""
        return Actor(principal_of(self.users[key]))

    def auth(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(key)}"}


@pytest.fixture
async def world(container: Container) -> World:
    return await World(container).build()


async def drain(c: Container) -> None:
    """Relay everything and let a burst worker run the jobs, until the jobs' own events (a
    notification's deliveries) have run too."""
    for _ in range(5):
        while await c.relay.relay_once():
            pass
        worker = build_worker(c, handle_signals=False, burst=True)
        try:
            await worker.async_run()
        finally:
            await worker.close()
        if not await c.relay.pending():
            return
