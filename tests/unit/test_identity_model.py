from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from domain.identity.model import (
    Department,
    EventType,
    User,
    check_password_strength,
    normalise_email,
)
from domain.shared.authz import ROLE_SCOPES, Role, Scope
from domain.shared.errors import AccountLocked, InvalidTransition, ValidationFailed

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def new_user(role: Role = Role.SALES_REP) -> User:
    return User.register(email=" Li.Lei@Example.COM ", name="  Li Lei ", role=role,
                         department_id=None, password_hash="h")


def test_register_normalises_and_records_the_event() -> None:
    user = new_user()
    assert user.email == "li.lei@example.com"
    assert user.name == "Li Lei"
    assert [e.type for e in user.events] == [EventType.USER_CREATED]
    assert user.events[0].payload["user_id"] == str(user.id)


@pytest.mark.parametrize("email", ["", "no-at-sign", "a@b", "two@@example.com", "x y@ex.com"])
def test_bad_emails_are_refused_with_the_field(email: str) -> None:
    with pytest.raises(ValidationFailed) as e:
        normalise_email(email)
    assert e.value.problems[0].field == "email"


def test_names_must_not_be_blank() -> None:
    with pytest.raises(ValidationFailed) as e:
        User.register(email="a@example.com", name="   ", role=Role.ADMIN, department_id=None,
                      password_hash="h")
    assert e.value.problems[0].field == "name"


def test_short_passwords_are_refused() -> None:
    with pytest.raises(ValidationFailed):
        check_password_strength("short")
    check_password_strength("long-enough-pass")


def test_the_account_locks_after_the_maximum_failures_and_unlocks_later() -> None:
    user = new_user()
    for _ in range(2):
        user.record_failed_login(NOW, max_failures=3, lock_for=timedelta(minutes=15))
    user.ensure_can_log_in(NOW)  # two failures: still allowed
    user.record_failed_login(NOW, max_failures=3, lock_for=timedelta(minutes=15))
    with pytest.raises(AccountLocked) as e:
        user.ensure_can_log_in(NOW + timedelta(minutes=1))
    assert 13 * 60 < e.value.retry_after_seconds <= 14 * 60 + 1
    user.ensure_can_log_in(NOW + timedelta(minutes=16))


def test_a_successful_login_resets_the_failure_count() -> None:
    user = new_user()
    user.record_failed_login(NOW, 3, timedelta(minutes=15))
    user.record_login(NOW)
    assert user.failed_logins == 0 and user.last_login_at == NOW


def test_password_change_and_disable_invalidate_tokens() -> None:
    user = new_user()
    tv = user.token_version
    user.change_password("new")
    assert user.token_version == tv + 1
    user.disable()
    assert user.token_version == tv + 2 and not user.is_active
    assert user.events[-1].type == EventType.USER_DISABLED
    with pytest.raises(InvalidTransition):
        user.disable()


def test_a_role_change_invalidates_tokens_and_bumps_the_version() -> None:
    user = new_user()
    v, tv = user.version, user.token_version
    user.update(role=Role.MANAGER)
    assert (user.version, user.token_version) == (v + 1, tv + 1)


def test_departments_refuse_cycles() -> None:
    root = Department.create("HQ", None)
    child = Department.create("East", root.id)
    with pytest.raises(ValidationFailed) as e:
        root.move_under(child.id, ancestors_of_parent=[child.id, root.id])
    assert e.value.problems[0].field == "parent_id"
    with pytest.raises(ValidationFailed):
        root.move_under(root.id, [root.id])
    other = uuid.uuid4()
    child.move_under(other, [other])
    assert child.parent_id == other


def test_roles_map_to_scopes() -> None:
    assert ROLE_SCOPES[Role.ADMIN] == frozenset(Scope)
    assert Scope.USERS_WRITE not in ROLE_SCOPES[Role.SALES_REP]
    assert Scope.USERS_READ not in ROLE_SCOPES[Role.SALES_REP]
    assert Scope.PII_REVEAL in ROLE_SCOPES[Role.MANAGER]
    assert Scope.PII_REVEAL not in ROLE_SCOPES[Role.SALES_REP]
    assert Scope.CONTRACTS_APPROVE in ROLE_SCOPES[Role.FINANCE]
    assert all(Scope.AUDIT_READ not in s for r, s in ROLE_SCOPES.items() if r != Role.ADMIN)
