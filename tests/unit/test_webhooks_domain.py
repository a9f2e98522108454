"""Webhook rules without I/O: SSRF classification, URLs, signing, the retry schedule, attempts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook

from domain.shared.errors import ValidationFailed
from domain.shared.events import DomainEvent
from domain.webhooks.commands import UpdateWebhook
from domain.webhooks.event_types import EVENT_TYPES
from domain.webhooks.model import (
    STANDARD_SCHEDULE,
    AttemptResult,
    Delivery,
    DeliveryStatus,
    RetryPolicy,
    WebhookEndpoint,
    address_problem,
    check_addresses,
    message_body,
    new_secret,
    parse_target,
    sign,
)

NOW = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize("ip, kind", [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"),
    ("10.0.0.1", "private"), ("172.16.5.4", "private"), ("192.168.0.1", "private"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
    ("0.0.0.0", "unspecified"), ("::", "unspecified"),
    ("224.0.0.251", "multicast"), ("ff02::1", "multicast"),
    ("fc00::1", "private"), ("240.0.0.1", "reserved"),
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.1.2.3", "private"),
    ("::ffff:169.254.169.254", "link-local"), ("2002:7f00:1::", "loopback"),
    ("100.64.0.1", "non-public"),
])
def test_addresses_that_are_not_public_are_refused(ip: str, kind: str) -> None:
    problem = address_problem(ip)
    assert problem is not None and kind in problem


@pytest.mark.parametrize("ip", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111",
                                "::ffff:8.8.8.8"])
def test_public_addresses_pass(ip: str) -> None:
    assert address_problem(ip) is None


def test_one_private_address_among_public_ones_refuses_the_host() -> None:
    target = parse_target("https://hooks.example.com/x")
    with pytest.raises(ValidationFailed) as e:
        check_addresses(target, ["93.184.216.34", "10.0.0.8"], allow_private=False)
    assert e.value.problems[0].field == "url"
    check_addresses(target, ["93.184.216.34", "10.0.0.8"], allow_private=True)
    with pytest.raises(ValidationFailed, match="does not resolve"):
        check_addresses(target, [], allow_private=True)


@pytest.mark.parametrize("url", ["ftp://example.com", "javascript:alert(1)", "https://",
                                 "http://a:b@example.com/", "http://example.com:99999/",
                                 "https://example.com/#frag", "x" * 10, ""])
def test_urls_must_be_plain_http_or_https(url: str) -> None:
    with pytest.raises(ValidationFailed) as e:
        parse_target(url)
    assert e.value.problems[0].field == "url"


def test_a_target_knows_its_port() -> None:
    assert parse_target("https://Example.com/a").port == 443
    assert parse_target("http://example.com:8080/a").port == 8080
    assert parse_target("http://[::1]:81/").host == "::1"


def test_the_signature_is_what_standardwebhooks_verifies() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_") and len(secret) == len("whsec_") + 44
    body = '{"type":"customer.created"}'
    ts = int(datetime.now(UTC).timestamp())
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(ts),
               "webhook-signature": sign(secret, "msg_1", ts, body)}
    assert Webhook(secret).verify(body, headers) == {"type": "customer.created"}
    assert Webhook(secret).sign("msg_1", datetime.fromtimestamp(ts, UTC), body) == \
        headers["webhook-signature"]


def test_the_body_carries_type_timestamp_data_with_id_and_sequence() -> None:
    event = DomainEvent("customer.created", "customer", "c-1", {"number": "C1"},
                        occurred_at=NOW)
    assert message_body(event, 42) == (
        '{"type":"customer.created","timestamp":"2026-11-29T03:00:00+00:00",'
        '"data":{"number":"C1","id":"c-1"},"sequence":42}')


def test_the_schedule_is_standard_webhooks_with_jitter() -> None:
    assert STANDARD_SCHEDULE == (0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
    low, high = RetryPolicy(rng=lambda: 0.0), RetryPolicy(rng=lambda: 1.0)
    assert low.delay_after(1, None) == pytest.approx(4.5)
    assert high.delay_after(1, None) == pytest.approx(5.5)
    assert low.delay_after(9, None) == pytest.approx(86400 * 0.9)
    assert low.delay_after(10, None) is None
    assert RetryPolicy(jitter=0).delay_after(1, 120) == 120  # Retry-After when longer
    assert RetryPolicy(jitter=0).delay_after(2, 1) == 300  # never sooner than the schedule
    assert RetryPolicy(jitter=0).delay_after(1, 10**9) == 86400  # capped


def _delivery() -> Delivery:
    event = DomainEvent("customer.created", "customer", "c-1", {}, occurred_at=NOW)
    return Delivery.for_event(uuid.uuid4(), event, 7, NOW)


def test_an_attempt_that_succeeds_ends_the_delivery() -> None:
    d = _delivery()
    d.start_attempt(NOW)
    assert d.record(AttemptResult(204, 35), RetryPolicy(), NOW) is None
    assert d.status == DeliveryStatus.SUCCEEDED and d.delivered_at == NOW
    assert d.next_attempt_at is None and d.attempts == 1 and d.latency_ms == 35


def test_failures_retry_on_the_schedule_then_fail_and_disable() -> None:
    d, policy = _delivery(), RetryPolicy(schedule=(0, 5, 300), jitter=0)
    d.start_attempt(NOW)
    assert d.record(AttemptResult(None, 5000, error="timed out"), policy, NOW) is None
    assert d.next_attempt_at == NOW + timedelta(seconds=5) and d.last_error == "timed out"
    d.start_attempt(NOW)
    assert d.record(AttemptResult(500, 3), policy, NOW) is None
    assert d.next_attempt_at == NOW + timedelta(seconds=300) and d.last_error == "HTTP 500"
    d.start_attempt(NOW)
    reason = d.record(AttemptResult(503, 3), policy, NOW)
    assert reason is not None and "all 3 attempts" in reason
    assert d.status == DeliveryStatus.FAILED and d.next_attempt_at is None
    d.redeliver(NOW)
    assert d.status == DeliveryStatus.PENDING and d.round_attempts == 0 and d.attempts == 3


def test_an_attempt_counts_from_its_start_so_an_unrecorded_one_is_not_lost() -> None:
    d, policy = _delivery(), RetryPolicy(schedule=(0, 5, 300), jitter=0)
    d.start_attempt(NOW)  # sent, then its worker died before the outcome was recorded
    assert d.attempts == 1 and d.last_attempt_at == NOW and d.response_status is None
    later = NOW + timedelta(seconds=30)
    d.start_attempt(later)  # the lease ran out: sent again
    assert d.record(AttemptResult(204, 9), policy, later) is None
    assert (d.attempts, d.status, d.last_attempt_at) == (2, DeliveryStatus.SUCCEEDED, later)


def test_gone_fails_at_once_and_throttling_waits_as_told() -> None:
    d = _delivery()
    d.start_attempt(NOW)
    assert "410" in (d.record(AttemptResult(410, 3), RetryPolicy(), NOW) or "")
    assert d.status == DeliveryStatus.FAILED
    policy = RetryPolicy(schedule=(0, 1, 1), jitter=0)
    for status in (429, 502, 504):
        d = _delivery()
        d.start_attempt(NOW)
        d.record(AttemptResult(status, 3, retry_after=30), policy, NOW)
        assert d.next_attempt_at == NOW + timedelta(seconds=30)
    d = _delivery()
    d.start_attempt(NOW)
    d.record(AttemptResult(500, 3, retry_after=30), policy, NOW)  # only on 429/502/504
    assert d.next_attempt_at == NOW + timedelta(seconds=1)


def test_an_endpoint_checks_its_fields_and_turns_off_once() -> None:
    with pytest.raises(ValidationFailed) as e:
        WebhookEndpoint.create(url="https://example.com", event_types=["lead.nope"],
                               description=None, allow_private=False, owner_id=None)
    assert e.value.problems[0].field == "event_types.0"
    endpoint = WebhookEndpoint.create(url=" https://example.com/h ",
                                      event_types=["lead.created", "lead.created"],
                                      description="  ", allow_private=False, owner_id=None)
    assert endpoint.url == "https://example.com/h" and endpoint.event_types == ["lead.created"]
    assert endpoint.description is None
    assert endpoint.disable("gone", NOW) is True and endpoint.disable("again", NOW) is False
    assert endpoint.disabled_reason == "gone"
    endpoint.update(UpdateWebhook(active=True))
    assert endpoint.active and endpoint.disabled_reason is None


def test_the_catalogue_has_the_contract_events() -> None:
    for suffix in ("created", "updated", "submitted", "approved", "rejected", "signed",
                   "activated", "payment_received", "completed", "terminated", "expired"):
        assert f"contract.{suffix}" in EVENT_TYPES
    assert not any(t.startswith("user.") for t in EVENT_TYPES)
