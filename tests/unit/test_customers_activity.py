"""Follow-ups and tasks as records: check-ins, the next follow-up's time, the task's status
rules."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.customers.activity import (
    FollowUp,
    FollowUpMethod,
    GeoCheckIn,
    Task,
    TaskStatus,
)
from domain.shared.errors import InvalidTransition, ValidationFailed

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
OWNER = uuid.uuid4()


def problem_field(error: pytest.ExceptionInfo[ValidationFailed]) -> str:
    return error.value.problems[0].field


def new_followup(**overrides: Any) -> FollowUp:
    kwargs: dict[str, Any] = {
        "customer_id": uuid.uuid4(), "owner_id": OWNER, "method": FollowUpMethod.PHONE,
        "occurred_at": NOW, "summary": "电话沟通二期需求",
    }
    kwargs.update(overrides)
    return FollowUp.create(**kwargs)


def new_task(**overrides: Any) -> Task:
    kwargs: dict[str, Any] = {"title": "发送报价单", "assignee_id": OWNER, "created_by": OWNER}
    kwargs.update(overrides)
    return Task.create(**kwargs)


# ---- follow-ups ----------------------------------------------------------------------------


def test_a_visit_may_carry_a_check_in() -> None:
    spot = GeoCheckIn(31.2304, 121.4737, 15)
    followup = new_followup(method=FollowUpMethod.VISIT, check_in=spot)
    assert followup.check_in == spot
    assert followup.events[0].type == "followup.created"


@pytest.mark.parametrize("method", [m for m in FollowUpMethod if m != FollowUpMethod.VISIT])
def test_only_a_visit_carries_a_check_in(method: FollowUpMethod) -> None:
    with pytest.raises(ValidationFailed) as e:
        new_followup(method=method, check_in=GeoCheckIn(31.2, 121.4))
    assert problem_field(e) == "check_in"


def test_the_next_follow_up_must_not_be_before_the_follow_up() -> None:
    with pytest.raises(ValidationFailed) as e:
        new_followup(next_followup_at=NOW - timedelta(minutes=1))
    assert problem_field(e) == "next_followup_at"
    assert new_followup(next_followup_at=NOW).next_followup_at == NOW


def test_editing_a_follow_up_cannot_move_the_next_follow_up_before_it() -> None:
    followup = new_followup(next_followup_at=NOW + timedelta(days=1))
    with pytest.raises(ValidationFailed) as e:
        followup.update({"next_followup_at": NOW - timedelta(days=1)})
    assert problem_field(e) == "next_followup_at"


def test_a_follow_up_time_without_a_time_zone_is_refused() -> None:
    with pytest.raises(ValidationFailed) as e:
        new_followup(occurred_at=datetime(2026, 11, 1, 9, 0))
    assert problem_field(e) == "occurred_at"


def test_a_next_follow_up_time_without_a_time_zone_is_refused_as_invalid_input() -> None:
    with pytest.raises(ValidationFailed) as e:
        new_followup(next_followup_at=datetime(2026, 11, 8, 9, 0))
    assert problem_field(e) == "next_followup_at"


def test_a_follow_up_needs_a_summary() -> None:
    with pytest.raises(ValidationFailed) as e:
        new_followup(summary="   ")
    assert problem_field(e) == "summary"


@pytest.mark.parametrize(("lat", "lon", "acc"), [
    (90, 180, 0), (-90, -180, 100_000), (0, 0, None), (31.2304, 121.4737, 15.5),
])
def test_check_ins_inside_the_bounds_are_accepted(lat: float, lon: float,
                                                  acc: float | None) -> None:
    spot = GeoCheckIn(lat, lon, acc)
    assert (spot.latitude, spot.longitude, spot.accuracy_m) == (lat, lon, acc)


@pytest.mark.parametrize(("lat", "lon", "acc", "field"), [
    (90.0001, 0, None, "check_in.latitude"),
    (-91, 0, None, "check_in.latitude"),
    (float("nan"), 0, None, "check_in.latitude"),
    (0, 180.5, None, "check_in.longitude"),
    (0, -181, None, "check_in.longitude"),
    (0, 0, -1, "check_in.accuracy_m"),
    (0, 0, 100_001, "check_in.accuracy_m"),
])
def test_check_ins_outside_the_bounds_are_refused(lat: float, lon: float, acc: float | None,
                                                  field: str) -> None:
    with pytest.raises(ValidationFailed) as e:
        GeoCheckIn(lat, lon, acc)
    assert problem_field(e) == field


# ---- tasks ---------------------------------------------------------------------------------


def test_completing_a_task_sets_completed_at() -> None:
    task = new_task()
    assert (task.status, task.completed_at) == (TaskStatus.OPEN, None)
    task.move(TaskStatus.DONE, NOW)
    assert (task.status, task.completed_at) == (TaskStatus.DONE, NOW)


def test_a_done_task_cannot_be_cancelled_only_reopened() -> None:
    task = new_task()
    task.move(TaskStatus.DONE, NOW)
    with pytest.raises(InvalidTransition):
        task.move(TaskStatus.CANCELLED, NOW)
    assert (task.status, task.completed_at) == (TaskStatus.DONE, NOW)
    task.move(TaskStatus.OPEN, NOW + timedelta(hours=1))
    assert (task.status, task.completed_at) == (TaskStatus.OPEN, None)


def test_a_cancelled_task_cannot_be_completed_without_reopening() -> None:
    task = new_task()
    task.move(TaskStatus.CANCELLED, NOW)
    assert task.completed_at is None
    with pytest.raises(InvalidTransition):
        task.move(TaskStatus.DONE, NOW)
    task.move(TaskStatus.OPEN, NOW)
    task.move(TaskStatus.DONE, NOW)
    assert task.completed_at == NOW


def test_task_update_applies_the_status_rules_and_bumps_the_version() -> None:
    task = new_task()
    task.update({"status": "done"}, NOW)
    assert (task.status, task.completed_at, task.version) == (TaskStatus.DONE, NOW, 2)
    with pytest.raises(InvalidTransition):
        task.update({"status": "cancelled"}, NOW)
    assert task.status == TaskStatus.DONE


@pytest.mark.parametrize(("related_type", "related_id"), [
    ("customer", None), (None, uuid.uuid4()),
])
def test_a_task_relation_needs_both_its_type_and_its_id(related_type: str | None,
                                                        related_id: uuid.UUID | None) -> None:
    with pytest.raises(ValidationFailed) as e:
        new_task(related_type=related_type, related_id=related_id)
    assert problem_field(e) == "related_id"


def test_a_task_may_relate_to_a_customer() -> None:
    customer_id = uuid.uuid4()
    task = new_task(related_type="customer", related_id=customer_id)
    assert (task.related_type, task.related_id) == ("customer", customer_id)
    assert task.events[0].type == "task.created"
