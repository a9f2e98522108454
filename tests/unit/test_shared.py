"""Pagination cursors, audit diffs, bearer secrets, settings: the shared machinery."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.settings import Settings, SettingsError
from domain.audit.model import field_diff
from domain.identity import secrets as bearer
from domain.shared.errors import ValidationFailed
from domain.shared.paging import PageRequest, decode_cursor, encode_cursor


@given(st.lists(st.one_of(st.integers(), st.text(), st.none()), max_size=4))
def test_cursors_round_trip(values: list[object]) -> None:
    assert decode_cursor(encode_cursor(values)) == values


@pytest.mark.parametrize("cursor", ["!!!", "bm90IGpzb24", encode_cursor({"a": 1})])  # type: ignore[arg-type]
def test_foreign_cursors_are_refused_with_the_field(cursor: str) -> None:
    with pytest.raises(ValidationFailed) as e:
        PageRequest(cursor=cursor).after()
    assert e.value.problems[0].field == "cursor"


@pytest.mark.parametrize("limit", [0, 201, -5])
def test_limits_outside_1_to_200_are_refused(limit: int) -> None:
    with pytest.raises(ValidationFailed):
        PageRequest(limit=limit)


def test_field_diff_keeps_changes_drops_secrets_and_masks_personal_data() -> None:
    uid = uuid.uuid4()
    diff = field_diff(
        {"name": "Li", "password_hash": "old", "mobile": "13812345678", "owner": uid,
         "same": 1, "at": datetime(2026, 1, 1, tzinfo=UTC)},
        {"name": "Li Lei", "password_hash": "new", "mobile": "13987654321", "owner": uid,
         "same": 1, "at": datetime(2026, 1, 2, tzinfo=UTC)},
        mask={"mobile": lambda v: v[:3] + "****" + v[-4:]},
    )
    assert diff == {
        "name": ["Li", "Li Lei"],
        "mobile": ["138****5678", "139****4321"],
        "at": ["2026-01-01 00:00:00+00:00", "2026-01-02 00:00:00+00:00"],
    }


def test_api_keys_and_refresh_tokens_parse_back() -> None:
    key, prefix = bearer.new_api_key()
    assert key.startswith("crm_") and bearer.api_key_prefix(key) == prefix
    assert bearer.matches(key, bearer.digest(key))
    assert not bearer.matches(key + "x", bearer.digest(key))
    assert bearer.api_key_prefix("crm_short_x") is None
    token_id = uuid.uuid4()
    token, secret = bearer.new_refresh_secret(token_id)
    assert bearer.split_refresh_token(token) == (token_id, secret)
    assert bearer.split_refresh_token("garbage") is None


def test_production_refuses_default_or_missing_secrets() -> None:
    with pytest.raises(SettingsError) as e:
        Settings(env="production", database_url="postgresql://x/y", redis_url="redis://x")
    assert "CRM_SECRET_KEY" in str(e.value) and "CRM_FIELD_KEY" in str(e.value)
    assert "CRM_BLIND_INDEX_KEY" in str(e.value)
    ok = Settings(env="production", database_url="postgresql://x/y", redis_url="redis://x",
                  secret_key="s" * 40, field_key="QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVoxMjM0NTY=",
                  blind_index_key="WllYV1ZVVFNSUVBPTk1MS0pJSEdGRURDQkE2NTQzMjE=")
    assert ok.env == "production"


def test_development_runs_with_defaults() -> None:
    assert Settings(env="development").secret_key
