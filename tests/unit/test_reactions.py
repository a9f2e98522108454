"""The registry of reactions is the one list: every event type the domain can emit has an
entry, and the relay and the worker do what the entries say."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import domain
from adapters.jobs.reactions import NO_REACTION, Reaction, handlers, registry, relay_hooks
from domain.shared.events import DomainEvent
from domain.webhooks.event_types import EVENT_TYPES

DOMAIN = Path(domain.__file__).parent


def event_types_of_the_domain() -> set[str]:
    """Every value of every feature's EventType class."""
    found: set[str] = set()
    for module in pkgutil.walk_packages([str(DOMAIN)], prefix="domain."):
        event_type = getattr(importlib.import_module(module.name), "EventType", None)
        if event_type is not None:
            found |= {value for name, value in vars(event_type).items()
                      if name.isupper() and isinstance(value, str)}
    return found


class Services:
    """Stands in for the services whose methods the registry names as consumers."""

    async def send_for_event(self, uow: object, event: DomainEvent) -> None: ...
    async def run_for_event(self, uow: object, event: DomainEvent) -> None: ...


def reactions() -> dict[str, Reaction]:
    services = Services()
    return registry(services, services, services)  # type: ignore[arg-type]


def test_every_event_type_the_domain_emits_has_an_entry_and_no_entry_is_stale() -> None:
    emitted = event_types_of_the_domain()
    # the walk finds every feature's EventType class
    assert {"user.created", "customer.created", "lead.assigned", "opportunity.reassigned",
            "followup.lapsed", "contract.expired", "notification.created"} <= emitted
    listed = set(reactions())
    assert emitted - listed == set(), "event types without an entry (NO_REACTION counts)"
    assert listed - emitted == set(), "entries for event types nothing emits"


def event_type_literals(source: str) -> list[int]:
    """Lines where an event (`DomainEvent(...)`, or an aggregate's `_emit(...)`) is given its
    type as a string literal instead of an EventType constant."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name in ("DomainEvent", "_emit") and any(
                isinstance(part, ast.Constant) and isinstance(part.value, str)
                for part in ast.walk(node.args[0])):
            lines.append(node.lineno)
    return lines


def test_the_domain_names_every_event_it_records_by_its_event_type() -> None:
    """An event built from a bare string would escape the list above."""
    literal = {str(path.relative_to(DOMAIN)): lines for path in DOMAIN.rglob("*.py")
               if (lines := event_type_literals(path.read_text()))}
    assert literal == {}
    assert event_type_literals('DomainEvent("x.done", "x", "1", {})') == [1]


def test_the_webhook_fan_out_covers_exactly_the_types_webhooks_may_subscribe_to() -> None:
    fanned_out = {type_ for type_, reaction in reactions().items() if reaction.webhooks}
    assert fanned_out == set(EVENT_TYPES)


def test_the_relay_queues_a_job_only_for_events_with_consumers() -> None:
    listed = reactions()
    hooks = relay_hooks(listed)
    assert hooks.consumed("customer.reassigned") and hooks.consumed("notification.created")
    assert not hooks.consumed("customer.created")  # webhooks only: done in the relay
    assert not hooks.consumed("user.disabled")  # nothing follows
    assert hooks.consumed("import.queued") and hooks.consumed("export.queued")
    assert listed["user.disabled"] is NO_REACTION


def test_consumer_names_are_unique_per_event_type() -> None:
    for type_, consumers in handlers(reactions()).items():
        names = [name for name, _ in consumers]
        assert len(names) == len(set(names)), type_
