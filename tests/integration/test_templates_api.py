"""/api/v1/templates and /api/v1/me/notification-preferences over HTTP."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text

from adapters.bootstrap import Container
from adapters.db.migrate import refresh_shipped_templates
from adapters.settings import Settings
from tests.conftest import World

TEMPLATES = "/api/v1/templates"
PREFERENCES = "/api/v1/me/notification-preferences"

CUSTOM = {"kind": "lead_assigned", "channel": "email", "locale": "zh-CN",
          "subject": "【重要】线索 {label}",
          "body": "{recipient_name}：请跟进 {label}（{grade}）。"}


def problem(r: httpx.Response, status: int) -> dict:  # type: ignore[type-arg]
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()  # type: ignore[no-any-return]


async def test_the_shipped_templates_exist_for_every_kind_in_both_languages(
    client: httpx.AsyncClient, world: World
) -> None:
    seen = []
    params: dict[str, str] = {"limit": "200"}
    while True:
        r = await client.get(TEMPLATES, headers=world.auth("admin"), params=params)
        assert r.status_code == 200, r.text
        seen += r.json()["items"]
        if not r.json()["next_cursor"]:
            break
        params["cursor"] = r.json()["next_cursor"]
    triples = {(t["kind"], t["channel"], t["locale"]) for t in seen}
    for kind in ("welcome", "lead_assigned", "approval_requested", "contract_renewal_due",
                 "webhook_disabled"):
        for channel in ("in_app", "email", "sms"):
            for locale in ("zh-CN", "en"):
                assert (kind, channel, locale) in triples
    assert all(t["builtin"] for t in seen)
    one = await client.get(TEMPLATES, headers=world.auth("admin"),
                           params={"kind": "approval_requested", "channel": "email",
                                   "locale": "en"})
    (tpl,) = one.json()["items"]
    assert "contract_number" in tpl["variables"]
    got = await client.get(f"{TEMPLATES}/{tpl['id']}", headers=world.auth("admin"))
    assert got.status_code == 200 and got.headers["ETag"] == '"1"'
    bad = problem(await client.get(TEMPLATES, headers=world.auth("admin"), params={"kind": "nope"}),
                  422)
    assert bad["errors"][0]["field"] == "kind"


async def test_custom_template_lifecycle_and_preview(
    client: httpx.AsyncClient, world: World
) -> None:
    admin = world.auth("admin")
    r = await client.post(TEMPLATES, headers=admin, json=CUSTOM)
    assert r.status_code == 201, r.text
    tpl = r.json()
    assert tpl["builtin"] is False and tpl["version"] == 1
    problem(await client.post(TEMPLATES, headers=admin, json=CUSTOM), 409)

    preview = await client.post(f"{TEMPLATES}/{tpl['id']}/preview", headers=admin, json={
        "variables": {"recipient_name": "王芳", "label": "Acme", "grade": "high"}})
    assert preview.status_code == 200, preview.text
    assert preview.json() == {"subject": "【重要】线索 Acme", "body": "王芳：请跟进 Acme（high）。"}
    missing = problem(await client.post(f"{TEMPLATES}/{tpl['id']}/preview", headers=admin,
                                        json={"variables": {"label": "Acme"}}), 422)
    assert missing["errors"][0]["field"].startswith("variables.")
    assert "{recipient_name}" in missing["errors"][0]["message"] \
        or "{grade}" in missing["errors"][0]["message"]

    changed = await client.patch(f"{TEMPLATES}/{tpl['id']}", headers={**admin, "If-Match": '"1"'},
                                 json={"body": "请跟进 {label}"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2 and changed.headers["ETag"] == '"2"'
    problem(await client.patch(f"{TEMPLATES}/{tpl['id']}", headers={**admin, "If-Match": '"1"'},
                               json={"body": "x"}), 412)

    shipped = (await client.get(TEMPLATES, headers=admin, params={
        "kind": "lead_assigned", "channel": "email", "locale": "zh-CN", "builtin": "true"}
    )).json()["items"][0]
    problem(await client.patch(f"{TEMPLATES}/{shipped['id']}", headers=admin,
                               json={"body": "x"}), 409)
    problem(await client.delete(f"{TEMPLATES}/{shipped['id']}", headers=admin), 409)

    assert (await client.delete(f"{TEMPLATES}/{tpl['id']}", headers=admin)).status_code == 204
    problem(await client.get(f"{TEMPLATES}/{tpl['id']}", headers=admin), 404)
    audit = await client.get("/api/v1/audit-log", headers=admin)
    actions = {e["action"] for e in audit.json()["items"]}
    assert {"template.created", "template.updated", "template.deleted"} <= actions


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"body": "Hi {password}"}, "body", "unknown variable {password}"),
    ({"body": "{label.__class__}"}, "body", "plain variable name"),
    ({"subject": "{grade:>9999999}"}, "subject", "format spec"),
    ({"body": "open { brace"}, "body", "braces"),
    ({"subject": ""}, "subject", "empty"),
    ({"kind": "no_such_kind"}, "kind", "not a notification kind"),
    ({"channel": "fax"}, "channel", "one of"),
    ({"locale": "fr"}, "locale", "zh-CN"),
    ({"extra": 1}, "extra", ""),
])
async def test_bad_templates_are_422_naming_the_field(
    client: httpx.AsyncClient, world: World, change: dict, field: str, words: str  # type: ignore[type-arg]
) -> None:
    body = problem(await client.post(TEMPLATES, headers=world.auth("admin"),
                                     json={**CUSTOM, **change}), 422)
    matching = [e for e in body["errors"] if e["field"] == field]
    assert matching, body
    assert words in matching[0]["message"]


ROLES = ["admin", "manager", "rep", "finance", "executive", "legal", "service_agent"]


@pytest.mark.parametrize("role", ROLES)
async def test_only_admins_read_and_write_templates(
    client: httpx.AsyncClient, world: World, role: str
) -> None:
    headers = world.auth(role)
    listed = await client.get(TEMPLATES, headers=headers)
    created = await client.post(TEMPLATES, headers=headers, json=CUSTOM)
    if role == "admin":
        assert listed.status_code == 200 and created.status_code == 201
        return
    problem(listed, 403)
    problem(created, 403)
    shipped = (await client.get(TEMPLATES, headers=world.auth("admin"))).json()["items"][0]
    problem(await client.get(f"{TEMPLATES}/{shipped['id']}", headers=headers), 403)
    problem(await client.post(f"{TEMPLATES}/{shipped['id']}/preview", headers=headers,
                              json={"variables": {}}), 403)
    custom = (await client.post(TEMPLATES, headers=world.auth("admin"), json=CUSTOM)).json()
    problem(await client.patch(f"{TEMPLATES}/{custom['id']}", headers=headers,
                               json={"body": "x"}), 403)
    problem(await client.delete(f"{TEMPLATES}/{custom['id']}", headers=headers), 403)
    assert (await client.get(TEMPLATES)).status_code == 401


async def test_an_api_key_with_settings_read_reads_but_cannot_write(
    client: httpx.AsyncClient, world: World
) -> None:
    r = await client.post("/api/v1/api-keys", headers=world.auth("admin"),
                          json={"name": "template sync", "scopes": ["settings:read"]})
    assert r.status_code == 201, r.text
    key = {"X-API-Key": r.json()["secret"]}
    assert (await client.get(TEMPLATES, headers=key)).status_code == 200
    problem(await client.post(TEMPLATES, headers=key, json=CUSTOM), 403)


async def test_preferences_defaults_changes_and_bad_input(
    client: httpx.AsyncClient, world: World
) -> None:
    rep = world.auth("rep")
    r = await client.get(PREFERENCES, headers=rep)
    assert r.status_code == 200, r.text
    prefs = r.json()
    assert prefs["locale"] == "zh-CN" and prefs["mobile"] is None and prefs["version"] == 0
    kinds = {k["kind"]: k for k in prefs["kinds"]}
    assert kinds["approval_requested"]["channels"] == ["email", "in_app"]
    assert kinds["lead_assigned"]["default"] is True
    assert kinds["followup_overdue"]["channels"] == ["in_app"]

    r = await client.put(PREFERENCES, headers={**rep, "If-Match": '"0"'}, json={
        "locale": "en", "kinds": [{"kind": "lead_assigned", "channels": ["in_app"]}]})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 1 and r.headers["ETag"] == '"1"'
    kinds = {k["kind"]: k for k in r.json()["kinds"]}
    assert kinds["lead_assigned"] == {"kind": "lead_assigned", "channels": ["in_app"],
                                      "default": False}
    assert (await client.get(PREFERENCES, headers=rep)).json()["locale"] == "en"
    problem(await client.put(PREFERENCES, headers={**rep, "If-Match": '"0"'},
                             json={"locale": "zh-CN"}), 412)

    for body, field in [
        ({"locale": "fr"}, "locale"),
        ({"mobile": "12345"}, "mobile"),
        ({"kinds": [{"kind": "nope", "channels": ["in_app"]}]}, "kinds.0.kind"),
        ({"kinds": [{"kind": "welcome", "channels": ["email"]}]}, "kinds.0.channels"),
        ({"kinds": [{"kind": "welcome", "channels": ["in_app", "pigeon"]}]}, "kinds.0.channels"),
        ({"kinds": [{"kind": "welcome", "channels": ["in_app", "sms"]}]}, "kinds.0.channels"),
        ({"kinds": [{"kind": "welcome", "channels": ["in_app"]},
                    {"kind": "welcome", "channels": ["in_app"]}]}, "kinds.1.kind"),
        ({"kinds": "all"}, "kinds"),
    ]:
        bad = problem(await client.put(PREFERENCES, headers=rep, json=body), 422)
        assert bad["errors"][0]["field"] == field, (body, bad)

    r = await client.put(PREFERENCES, headers=rep, json={"mobile": "13812345678", "kinds": [
        {"kind": "approval_requested", "channels": ["in_app", "email", "sms"]}]})
    assert r.status_code == 200 and r.json()["mobile"] == "138****5678"
    bad = problem(await client.put(PREFERENCES, headers=rep, json={"mobile": None}), 422)
    assert bad["errors"][0]["field"] == "mobile", "SMS is still on for approval_requested"
    audit = await client.get("/api/v1/audit-log", headers=world.auth("admin"))
    entries = [e for e in audit.json()["items"]
               if e["action"] == "notification_preferences.updated"]
    assert entries and "13812345678" not in str(entries)



async def test_upgrade_restores_shipped_templates_the_code_has(
    container: Container, settings: Settings
) -> None:
    assert settings.database_url
    async with container.engine.begin() as conn:  # a kind an older release had no templates for
        await conn.execute(text(
            "DELETE FROM notification_templates WHERE kind = 'webhook_disabled'"))
    await refresh_shipped_templates(settings.database_url)  # what `crm db upgrade` ends with
    async with container.engine.connect() as conn:
        count = await conn.scalar(text(
            "SELECT count(*) FROM notification_templates WHERE kind = 'webhook_disabled'"))
    assert count == 6
