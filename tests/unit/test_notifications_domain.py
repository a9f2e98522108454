"""Templates, preferences and the retry schedule of the notification channels (no I/O)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from domain.notifications.defaults import default_templates
from domain.notifications.kinds import (
    KINDS,
    LOCALES,
    Channel,
    default_channels,
    variables_of,
)
from domain.notifications.model import NotificationPreferences, RetryPolicy, Template
from domain.notifications.templating import (
    MissingVariable,
    TemplateSyntaxError,
    parse,
    render,
)
from domain.shared.catalogue import render as render_text
from domain.shared.errors import ValidationFailed


def test_placeholders_are_filled_and_double_braces_stay_literal() -> None:
    assert render("Hi {name}, {{literal}} {n}", {"name": "王芳", "n": 3}) == \
        "Hi 王芳, {literal} 3"
    assert parse("{a} and {b} and {a}").variables == ("a", "b")


@pytest.mark.parametrize("text", [
    "{user.password}", "{data[0]}", "{0}", "{}", "{x!r}", "{x:>99999999}", "{x:{y}}",
    "unbalanced {", "also } unbalanced", "{__class__.__mro__}",
])
def test_only_bare_names_are_placeholders(text: str) -> None:
    with pytest.raises(TemplateSyntaxError):
        parse(text)


def test_a_value_is_text_and_is_not_formatted_again() -> None:
    # A value that looks like a placeholder or a format spec is just text.
    assert render("{a}", {"a": "{b.__class__}"}) == "{b.__class__}"


def test_a_missing_variable_is_named() -> None:
    with pytest.raises(MissingVariable) as e:
        render("{a} {b}", {"a": 1})
    assert e.value.name == "b"


def test_every_kind_has_a_template_per_channel_and_locale_that_renders_from_its_variables(
) -> None:
    shipped = {(t.kind, t.channel, t.locale): t for t in default_templates()}
    assert len(shipped) == len(KINDS) * len(Channel) * len(LOCALES)
    for (kind, channel, locale), t in shipped.items():
        values = {v: f"<{v}>" for v in variables_of(kind)}
        rendered = t.render(values)
        assert rendered.body.strip()
        assert (rendered.subject == "") == (channel == Channel.SMS)
        # ...and each passes the same validation as an admin's template.
        Template.custom(kind, channel, locale, t.subject or "-", t.body)
    assert "欢迎" in shipped[("welcome", Channel.EMAIL, "zh-CN")].subject
    assert "Welcome" in shipped[("welcome", Channel.EMAIL, "en")].subject
    assert {"approval_requested", "contract_signed", "webhook_disabled"} <= set(KINDS)


def test_a_custom_template_names_the_field_and_the_unknown_variable() -> None:
    with pytest.raises(ValidationFailed) as e:
        Template.custom("lead_assigned", "email", "en", "Lead {label}", "Hi {password}")
    (problem,) = e.value.problems
    assert problem.field == "body" and "{password}" in render_text(problem.text)
    with pytest.raises(ValidationFailed) as e:
        Template.custom("nope", "email", "en", "s", "b")
    assert e.value.problems[0].field == "kind"
    with pytest.raises(ValidationFailed) as e:
        Template.custom("welcome", "fax", "fr", "s", "b")
    assert e.value.problems[0].field == "channel"
    with pytest.raises(ValidationFailed) as e:
        Template.custom("welcome", "email", "en", "", "{name.upper}")
    assert {p.field for p in e.value.problems} == {"subject", "body"}


def test_preview_reports_a_missing_variable_under_variables() -> None:
    t = Template.custom("lead_assigned", "sms", "en", "", "Lead {label} ({grade})")
    assert t.preview({"label": "Acme", "grade": "high"}).body == "Lead Acme (high)"
    with pytest.raises(ValidationFailed) as e:
        t.preview({"label": "Acme"})
    assert e.value.problems[0].field == "variables.grade"


def test_preferences_default_to_the_catalogue_and_always_keep_the_inbox() -> None:
    prefs = NotificationPreferences(user_id=uuid.uuid4())
    assert prefs.channels_for("approval_requested") == {Channel.IN_APP, Channel.EMAIL}
    assert prefs.channels_for("followup_overdue") == {Channel.IN_APP}
    assert prefs.channels_for("some_future_kind") == {Channel.IN_APP}
    prefs.choose("lead_assigned", ["in_app"], "kinds.0")
    assert prefs.channels_for("lead_assigned") == {Channel.IN_APP}
    prefs.choose("lead_assigned", ["email", "in_app"], "kinds.0")
    assert "lead_assigned" not in prefs.channels, "back to the default: nothing stored"
    with pytest.raises(ValidationFailed) as e:
        prefs.choose("lead_assigned", ["email"], "kinds.3")
    assert e.value.problems[0].field == "kinds.3.channels"
    with pytest.raises(ValidationFailed, match="mobile"):
        prefs.choose("lead_assigned", ["in_app", "sms"], "kinds.0")
    prefs.mobile = "13812345678"
    prefs.choose("lead_assigned", ["in_app", "sms"], "kinds.0")
    assert prefs.channels_for("lead_assigned") == {Channel.IN_APP, Channel.SMS}
    assert default_channels("welcome") == {Channel.IN_APP, Channel.EMAIL}


def test_the_retry_schedule_ends_in_failure() -> None:
    policy = RetryPolicy.parse("1, 5,60")
    now = datetime(2026, 11, 29, tzinfo=UTC)
    assert policy.next_attempt(1, now) == now + timedelta(seconds=1)
    assert policy.next_attempt(3, now) == now + timedelta(seconds=60)
    assert policy.next_attempt(4, now) is None
    assert RetryPolicy.parse("").next_attempt(1, now) is None
    with pytest.raises(ValueError):
        RetryPolicy.parse("soon")


def test_a_lead_notice_names_its_grade_and_reason_in_the_readers_language() -> None:
    from domain.notifications.rendering import presented
    from domain.shared.text import text

    reason = text("lead.assignment.by_rule", rule="华东",
                  method=text("routing_method.round_robin"))
    data = {"label": "XS-1 华东贸易", "grade": "high", "reason": "rule 华东: round-robin",
            "reason_text": reason.to_json()}
    zh, en = presented(data, "zh-CN"), presented(data, "en")
    assert (zh["grade"], zh["reason"]) == ("高意向", "规则“华东”：轮流分配")
    assert (en["grade"], en["reason"]) == ("high", "rule 华东: round-robin")
    assert data["grade"] == "high", "the stored variables stay codes"
