"""`crm keys generate` makes keys production accepts; key check values tell a wrong key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from adapters.crypto.fields import AesGcmFieldCipher
from adapters.crypto.key_check import fresh_checks, mismatch
from adapters.keys_cli import generated_env
from adapters.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[2]


def _production(**env: str) -> Settings:
    return Settings(_env_file=None, env="production", database_url="postgresql://db/crm",  # type: ignore[call-arg]
                    redis_url="redis://redis:6379/0",
                    **{name.removeprefix("CRM_").lower(): value for name, value in env.items()})


def test_generated_keys_are_accepted_in_production_and_differ_each_time() -> None:
    first, second = generated_env(), generated_env()
    settings = _production(**first)
    cipher = AesGcmFieldCipher(settings.field_key, settings.blind_index_key)
    assert cipher.decrypt(cipher.encrypt("13700007890")) == "13700007890"
    assert settings.backup_key == first["CRM_BACKUP_KEY"]
    assert all(first[name] != second[name] for name in first)
    assert cipher.current_key_id.isalnum()


def test_production_names_the_missing_blind_index_key() -> None:
    env = generated_env()
    del env["CRM_BLIND_INDEX_KEY"]
    with pytest.raises(SettingsError, match="CRM_BLIND_INDEX_KEY"):
        _production(**env)


def test_keys_generate_prints_dotenv_lines() -> None:
    done = subprocess.run([sys.executable, "-m", "adapters.cli", "keys", "generate"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=True)
    pairs = dict(line.split("=", 1) for line in done.stdout.splitlines()
                 if line and not line.startswith("#"))
    assert set(pairs) == {"CRM_SECRET_KEY", "CRM_FIELD_KEY", "CRM_BLIND_INDEX_KEY",
                          "CRM_BACKUP_KEY"}
    _production(**pairs)


def _stored(cipher: AesGcmFieldCipher) -> dict[tuple[str, str], str]:
    return {(row["purpose"], row["key_id"]): row["check_value"] for row in fresh_checks(cipher)}


def test_the_same_keys_match_their_checks() -> None:
    env = generated_env()
    cipher = AesGcmFieldCipher(env["CRM_FIELD_KEY"], env["CRM_BLIND_INDEX_KEY"])
    assert mismatch(cipher, _stored(cipher)) is None
    assert mismatch(cipher, {}) is None


def test_another_key_under_the_same_id_is_named() -> None:
    first, other = generated_env(), generated_env()
    kid = first["CRM_FIELD_KEY"].split(":")[0]
    original = AesGcmFieldCipher(first["CRM_FIELD_KEY"], first["CRM_BLIND_INDEX_KEY"])
    wrong = AesGcmFieldCipher(f"{kid}:{other['CRM_FIELD_KEY'].split(':')[1]}",
                              first["CRM_BLIND_INDEX_KEY"])
    problem = mismatch(wrong, _stored(original))
    assert problem and problem.startswith("CRM_FIELD_KEY") and kid in problem


def test_a_keyring_without_any_known_key_is_refused_but_a_rotated_one_is_not() -> None:
    first, other = generated_env(), generated_env()
    original = AesGcmFieldCipher(first["CRM_FIELD_KEY"], first["CRM_BLIND_INDEX_KEY"])
    stranger = AesGcmFieldCipher(other["CRM_FIELD_KEY"], first["CRM_BLIND_INDEX_KEY"])
    problem = mismatch(stranger, _stored(original))
    assert problem and "none of the keys" in problem
    rotated = AesGcmFieldCipher(f"{other['CRM_FIELD_KEY']},{first['CRM_FIELD_KEY']}",
                                first["CRM_BLIND_INDEX_KEY"])
    assert mismatch(rotated, _stored(original)) is None


def test_another_blind_index_key_is_named() -> None:
    first, other = generated_env(), generated_env()
    original = AesGcmFieldCipher(first["CRM_FIELD_KEY"], first["CRM_BLIND_INDEX_KEY"])
    wrong = AesGcmFieldCipher(first["CRM_FIELD_KEY"], other["CRM_BLIND_INDEX_KEY"])
    problem = mismatch(wrong, _stored(original))
    assert problem and problem.startswith("CRM_BLIND_INDEX_KEY")
