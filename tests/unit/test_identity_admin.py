"""The administration use cases of identity over in-memory fakes: users, departments, API keys
and the audit log (log-in and tokens are in test_identity_service.py)."""

from __future__ import annotations

import uuid

import pytest

from domain.audit.ports import AuditFilter
from domain.identity.commands import UpdateDepartment, UpdateUser
from domain.identity.model import Department, User
from domain.identity.ports import UserFilter
from domain.identity.service import IdentityService, SubtreeCache
from domain.shared.authz import ROLE_SCOPES, Actor, Principal, Role, Scope, system_actor
from domain.shared.commands import UNSET
from domain.shared.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    StaleVersion,
    ValidationFailed,
)
from domain.shared.paging import PageRequest
from tests.fakes.identity import FakeHasher, FakeTokens, actor_of, stored_user
from tests.fakes.shared import FakeClock, FakeUowFactory, Store

PW = "a-good-password"


class Org:
    """HQ with an east team (a manager and a rep) and a north team (a rep); an admin."""

    def __init__(self) -> None:
        self.svc = IdentityService(uow=FakeUowFactory(), hasher=FakeHasher(),
                                   tokens=FakeTokens(), clock=FakeClock(),
                                   subtrees=SubtreeCache(ttl=60))
        self.hq = self.department("HQ")
        self.east = self.department("East", self.hq)
        self.north = self.department("North", self.hq)
        self.admin = stored_user(self.store, Role.ADMIN, "admin@example.com")
        self.manager = stored_user(self.store, Role.MANAGER, "manager@example.com", self.east.id)
        self.rep = stored_user(self.store, Role.SALES_REP, "rep@example.com", self.east.id)
        self.north_rep = stored_user(self.store, Role.SALES_REP, "north@example.com",
                                     self.north.id)

    @property
    def store(self) -> Store:
        return self.svc.uow.state  # type: ignore[attr-defined, no-any-return]

    def department(self, name: str, parent: Department | None = None) -> Department:
        d = Department.create(name, parent.id if parent else None)
        self.store.departments[d.id] = d
        return d

    def as_(self, user: User) -> Actor:
        return actor_of(user)

    def last_audit(self) -> tuple[str, dict[str, object]]:
        entry = self.store.audit[-1]
        return entry.action, entry.diff


@pytest.fixture
def org() -> Org:
    return Org()


def field_of(error: pytest.ExceptionInfo[ValidationFailed]) -> str:
    return error.value.problems[0].field


# ---- users -------------------------------------------------------------------------------------


async def test_an_admin_creates_a_user_audited_without_the_password(org: Org) -> None:
    user = await org.svc.create_user(org.as_(org.admin), email=" Li.Lei@Example.com ",
                                     name="李雷", role=Role.SALES_REP,
                                     department_id=org.east.id, password=PW)
    assert user.email == "li.lei@example.com" and org.store.users[user.id].password_hash
    action, diff = org.last_audit()
    assert action == "user.created" and diff["email"] == [None, "li.lei@example.com"]
    assert PW not in str(diff) and "password_hash" not in diff
    assert [e.type for e in org.store.outbox.values()] == ["user.created"]


async def test_a_new_user_is_checked_field_by_field(org: Org) -> None:
    admin = org.as_(org.admin)
    for kwargs, field in (({"password": "short"}, "password"),
                          ({"email": "not-an-email"}, "email"),
                          ({"department_id": uuid.uuid4()}, "department_id"),
                          ({"name": "  "}, "name")):
        with pytest.raises(ValidationFailed) as e:
            await org.svc.create_user(admin, **{
                "email": "new@example.com", "name": "New", "role": Role.SALES_REP,
                "department_id": None, "password": PW, **kwargs})
        assert field_of(e) == field
    assert org.store.audit == []


async def test_an_edit_changes_only_the_fields_given(org: Org) -> None:
    admin = org.as_(org.admin)
    renamed = await org.svc.update_user(admin, org.rep.id, UpdateUser(name="Rep Renamed"),
                                        expected_version=1)
    assert renamed.name == "Rep Renamed" and renamed.department_id == org.east.id
    assert renamed.role == Role.SALES_REP and renamed.version == 2
    assert org.last_audit() == ("user.updated", {"name": ["rep", "Rep Renamed"]})
    moved = await org.svc.update_user(admin, org.rep.id,
                                      UpdateUser(department_id=org.north.id),
                                      expected_version=None)
    assert moved.department_id == org.north.id
    out = await org.svc.update_user(admin, org.rep.id, UpdateUser(department_id=None),
                                    expected_version=None)
    assert out.department_id is None  # None takes it out of every department
    assert UpdateUser().department_id is UNSET


async def test_an_edit_refuses_a_stale_version_and_an_unknown_department(org: Org) -> None:
    admin = org.as_(org.admin)
    with pytest.raises(StaleVersion):
        await org.svc.update_user(admin, org.rep.id, UpdateUser(name="x"), expected_version=7)
    with pytest.raises(ValidationFailed) as e:
        await org.svc.update_user(admin, org.rep.id, UpdateUser(department_id=uuid.uuid4()),
                                  expected_version=None)
    assert field_of(e) == "department_id"
    assert org.store.users[org.rep.id].version == 1


async def test_an_admin_keeps_its_own_admin_role_and_access(org: Org) -> None:
    admin = org.as_(org.admin)
    with pytest.raises(ValidationFailed) as e:
        await org.svc.update_user(admin, org.admin.id, UpdateUser(role=Role.MANAGER),
                                  expected_version=None)
    assert field_of(e) == "role"
    with pytest.raises(ValidationFailed) as e:
        await org.svc.update_user(admin, org.admin.id, UpdateUser(is_active=False),
                                  expected_version=None)
    assert field_of(e) == "is_active"


async def test_a_disabled_user_is_enabled_again_and_can_log_in(org: Org) -> None:
    admin = org.as_(org.admin)
    await org.svc.update_user(admin, org.rep.id, UpdateUser(is_active=False),
                              expected_version=None)
    with pytest.raises(AuthenticationFailed):
        await org.svc.login("rep@example.com", PW, Actor(None))
    back = await org.svc.update_user(admin, org.rep.id, UpdateUser(is_active=True),
                                     expected_version=None)
    assert back.is_active
    assert (await org.svc.login("rep@example.com", PW, Actor(None))).access_token


async def test_only_users_write_edits_users_and_a_manager_reads_its_team(org: Org) -> None:
    for who in (org.manager, org.rep):
        with pytest.raises(PermissionDenied):
            await org.svc.update_user(org.as_(who), org.rep.id, UpdateUser(name="x"),
                                      expected_version=None)
        with pytest.raises(PermissionDenied):
            await org.svc.reset_password(org.as_(who), org.rep.id, "another-password")
    manager = org.as_(org.manager)
    with pytest.raises(NotFound):
        await org.svc.get_user(manager, org.north_rep.id)
    only_north = await org.svc.list_users(manager, UserFilter(department_ids=[org.north.id]),
                                          PageRequest())
    assert only_north.items == []
    with pytest.raises(PermissionDenied):
        await org.svc.get_user(org.as_(org.rep), org.rep.id)


async def test_a_reset_password_ends_every_session(org: Org) -> None:
    pair = await org.svc.login("rep@example.com", PW, Actor(None))
    with pytest.raises(ValidationFailed) as e:
        await org.svc.reset_password(org.as_(org.admin), org.rep.id, "short")
    assert field_of(e) == "password"
    await org.svc.reset_password(org.as_(org.admin), org.rep.id, "another-good-password")
    assert org.last_audit()[0] == "user.password_changed"
    with pytest.raises(AuthenticationFailed):
        await org.svc.refresh(pair.refresh_token, Actor(None))
    with pytest.raises(AuthenticationFailed):
        await org.svc.user_for_access_token(pair.access_token)
    await org.svc.login("rep@example.com", "another-good-password", Actor(None))


async def test_only_users_have_a_password_of_their_own(org: Org) -> None:
    integration = Actor(Principal(kind="api_key", id=uuid.uuid4(), label="api-key:x",
                                  scopes=frozenset(Scope)))
    with pytest.raises(PermissionDenied):
        await org.svc.change_own_password(integration, PW, "another-good-password")


async def test_the_roles_and_the_directory(org: Org) -> None:
    assert org.svc.roles(org.as_(org.manager)) == ROLE_SCOPES
    with pytest.raises(PermissionDenied):
        org.svc.roles(org.as_(org.rep))
    everyone = await org.svc.directory(org.as_(org.rep), PageRequest())
    assert {u.id for u in everyone.items} >= {org.admin.id, org.north_rep.id}
    bare_key = Actor(Principal(kind="api_key", id=uuid.uuid4(), label="api-key:x",
                               scopes=frozenset({Scope.CUSTOMERS_READ})))
    with pytest.raises(PermissionDenied):
        await org.svc.directory(bare_key, PageRequest())


# ---- departments -------------------------------------------------------------------------------


async def test_departments_are_made_under_a_parent_that_exists(org: Org) -> None:
    admin = org.as_(org.admin)
    org.svc.subtrees.remember(org.east.id, [org.east.id])
    shanghai = await org.svc.create_department(admin, "上海", org.east.id)
    assert shanghai.parent_id == org.east.id
    assert org.svc.subtrees.recall(org.east.id) is None  # a manager's team grew: re-read it
    assert org.last_audit() == ("department.created",
                                {"name": [None, "上海"], "parent_id": [None, str(org.east.id)]})
    with pytest.raises(ValidationFailed) as e:
        await org.svc.create_department(admin, "Nowhere", uuid.uuid4())
    assert field_of(e) == "parent_id"
    with pytest.raises(PermissionDenied):
        await org.svc.create_department(org.as_(org.manager), "Mine", org.east.id)


async def test_a_department_is_renamed_or_moved_but_never_under_itself(org: Org) -> None:
    admin = org.as_(org.admin)
    shanghai = await org.svc.create_department(admin, "上海", org.east.id)
    renamed = await org.svc.update_department(admin, org.east.id, UpdateDepartment(name="华东"),
                                              expected_version=1)
    assert renamed.name == "华东" and renamed.parent_id == org.hq.id
    with pytest.raises(ValidationFailed) as e:
        await org.svc.update_department(admin, org.east.id,
                                        UpdateDepartment(parent_id=shanghai.id),
                                        expected_version=None)
    assert field_of(e) == "parent_id" and "cycle" in e.value.problems[0].message
    top = await org.svc.update_department(admin, org.east.id, UpdateDepartment(parent_id=None),
                                          expected_version=None)
    assert top.parent_id is None
    with pytest.raises(StaleVersion):
        await org.svc.update_department(admin, org.east.id, UpdateDepartment(name="x"),
                                        expected_version=1)
    with pytest.raises(NotFound):
        await org.svc.update_department(admin, uuid.uuid4(), UpdateDepartment(name="x"),
                                        expected_version=None)


async def test_only_an_empty_department_is_deleted(org: Org) -> None:
    admin = org.as_(org.admin)
    with pytest.raises(Conflict):
        await org.svc.delete_department(admin, org.east.id)  # it has users
    with pytest.raises(Conflict):
        await org.svc.delete_department(admin, org.hq.id)  # it has sub-departments
    empty = await org.svc.create_department(admin, "Empty", org.hq.id)
    await org.svc.delete_department(admin, empty.id)
    assert empty.id not in org.store.departments
    assert org.last_audit()[0] == "department.deleted"
    with pytest.raises(NotFound):
        await org.svc.get_department(admin, empty.id)
    with pytest.raises(NotFound):
        await org.svc.delete_department(admin, empty.id)


async def test_departments_are_read_with_departments_read(org: Org) -> None:
    seen = await org.svc.list_departments(org.as_(org.manager), PageRequest())
    assert {d.id for d in seen.items} == {org.hq.id, org.east.id, org.north.id}
    assert (await org.svc.get_department(org.as_(org.manager), org.east.id)).name == "East"
    with pytest.raises(PermissionDenied):
        await org.svc.list_departments(org.as_(org.rep), PageRequest())


# ---- API keys and the audit log ----------------------------------------------------------------


async def test_an_api_key_is_shown_once_and_stored_only_as_a_digest(org: Org) -> None:
    key, secret = await org.svc.create_api_key(org.as_(org.admin), "  ERP sync ",
                                               {Scope.CUSTOMERS_READ, Scope.LEADS_WRITE})
    assert secret.startswith("crm_") and key.name == "ERP sync"
    stored = org.store.api_keys[key.id]
    assert secret not in (stored.secret_hash, stored.prefix) and stored.created_by == org.admin.id
    assert org.last_audit() == ("api_key.created", {
        "name": [None, "ERP sync"], "scopes": [None, ["customers:read", "leads:write"]]})
    assert (await org.svc.principal_for_api_key(secret)).label == "api-key:ERP sync"
    listed = await org.svc.list_api_keys(org.as_(org.admin), PageRequest())
    assert [k.id for k in listed.items] == [key.id]


async def test_an_api_key_is_checked_and_never_grants_more_than_its_maker(org: Org) -> None:
    admin = org.as_(org.admin)
    with pytest.raises(ValidationFailed) as e:
        await org.svc.create_api_key(admin, " ", {Scope.CUSTOMERS_READ})
    assert field_of(e) == "name"
    with pytest.raises(ValidationFailed) as e:
        await org.svc.create_api_key(admin, "x", set())
    assert field_of(e) == "scopes"
    maker = Actor(Principal(kind="api_key", id=uuid.uuid4(), label="api-key:provisioner",
                            scopes=frozenset({Scope.API_KEYS_WRITE, Scope.CUSTOMERS_READ})))
    with pytest.raises(ValidationFailed) as e:
        await org.svc.create_api_key(maker, "wider", {Scope.CUSTOMERS_READ, Scope.USERS_WRITE})
    assert field_of(e) == "scopes" and "users:write" in e.value.detail
    key, _ = await org.svc.create_api_key(maker, "narrower", {Scope.CUSTOMERS_READ})
    assert key.created_by is None  # made by an integration, not a user
    for who in (org.manager, org.rep):
        with pytest.raises(PermissionDenied):
            await org.svc.create_api_key(org.as_(who), "mine", {Scope.CUSTOMERS_READ})
        with pytest.raises(PermissionDenied):
            await org.svc.list_api_keys(org.as_(who), PageRequest())


async def test_a_key_is_revoked_once(org: Org) -> None:
    admin = org.as_(org.admin)
    key, _ = await org.svc.create_api_key(admin, "ERP", {Scope.CUSTOMERS_READ})
    revoked = await org.svc.revoke_api_key(admin, key.id)
    assert revoked.revoked_at == org.svc.clock.now()
    assert org.last_audit()[0] == "api_key.revoked"
    with pytest.raises(InvalidTransition):
        await org.svc.revoke_api_key(admin, key.id)
    with pytest.raises(NotFound):
        await org.svc.revoke_api_key(admin, uuid.uuid4())


async def test_the_audit_log_is_read_with_audit_read_and_denials_are_recorded(org: Org) -> None:
    await org.svc.record_denial(org.as_(org.rep), "This needs the 'audit:read' permission",
                                "GET /api/v1/audit-log")
    with pytest.raises(PermissionDenied):
        await org.svc.list_audit(org.as_(org.manager), AuditFilter(), PageRequest())
    page = await org.svc.list_audit(org.as_(org.admin), AuditFilter(action="permission.denied"),
                                    PageRequest())
    (entry,) = page.items
    assert entry.actor_id == org.rep.id and entry.target_id == "GET /api/v1/audit-log"
    assert (await org.svc.list_audit(system_actor(), AuditFilter(), PageRequest())).items
