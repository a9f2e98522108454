"""The OpenAPI document is what the server enforces: schemathesis generates requests from it
(valid and invalid) against the app on a real database and Redis, and runs every check on the
answers (status codes and headers documented, bodies matching their schemas, valid data
accepted, invalid data refused, no 500, an Allow header on 405 and OPTIONS).

Deterministic: a fixed seed and hypothesis derandomised, three generated requests per operation
besides the examples the schema itself gives.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from anyio.from_thread import start_blocking_portal
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance
from schemathesis.config import SchemathesisConfig
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.python.asgi import shutdown_lifespans
from sqlalchemy import text

from adapters.bootstrap import Container, build
from adapters.settings import Settings
from adapters.web import create_web_app, openapi_document
from tests.conftest import TABLES, World

DOCUMENT = openapi_document()
# A few generated requests (valid and invalid) per operation besides its schema's examples,
# derandomised: the same requests every run. The coverage phase (every boundary case of every
# parameter) is left out: it costs fifteen times as much, an hour for the whole API.
EXAMPLES_PER_OPERATION = 3
schema = schemathesis.openapi.from_dict(DOCUMENT, config=SchemathesisConfig.from_dict({
    "seed": 20261207,
    "generation": {"deterministic": True, "max-examples": EXAMPLES_PER_OPERATION},
    "phases": {
        "examples": {"enabled": True},
        "coverage": {"enabled": False},
        "fuzzing": {"enabled": True},
        "stateful": {"enabled": False},
    },
}))

# A few operations cannot be fuzzed with the admin's own access token without ending the run's
# premise; each gets a token (or user) of its own instead of being left out.
OWN_PRINCIPAL = {
    # Changing the password (or with a wrong one, counting toward the lock-out) invalidates or
    # locks the caller: the fuzzer gets a user of its own for it.
    ("POST", "/api/v1/me/password"),
}


# Valid-by-schema data the server may still refuse with its declared 422: rules about what
# exists or what the data means, which no JSON Schema keyword can state. Every other 422 for
# schema-valid data fails the run (the rule belongs in the schema). Fields by name; list
# positions as *.
BEYOND_SHAPE = {
    # which records exist is data, not shape
    "owner_id": "must name an active user (in your team)",
    "assignee_id": "must name an active user",
    "queue_user_id": "must name an active user",
    "department_id": "must name a department",
    "parent_id": "must name a department, without making a cycle",
    "customer_id": "must name a customer you can see",
    "cursor": "an opaque position the API gave out (its alphabet is in the schema)",
    # what a value means
    "phone": "a number valid in its numbering plan, a landline with its area code",
    "url": "the host must resolve, to a public address (SSRF)",
    "options": "a choice field needs options, other types none",
    "finance_approver_id": "must name an active finance user (or an admin)",
    "executive_approver_id": "must name an active executive (or an admin)",
    "from": "other customers, each once, that you can see",
    "current_password": "must be the caller's password",
    "industry": "a value of the admin-managed industry list",
    "region": "a value of the admin-managed region list",
    "email": "an address email-validator accepts (RFC 5321, a domain that takes mail)",
    "body": "template placeholders must be variables of the kind; no text may hold a NUL or "
            "a lone surrogate (PostgreSQL stores neither)",
    "since": "must be before until",
    "related_type": "goes with related_id (only customers so far)",
    "mapping": "a form field's text holding a JSON object of column → field",
    "subject": "an in-app or e-mail template needs one, an SMS template none",
    "stages.*.probability": "an open stage needs one; won and lost fix their own",
    "thresholds": "medium_from must not be above high_from",
    "brackets": "only the budget rule has brackets",
    "requirements": "what a stage may require depends on its kind (losing needs only a reason)",
    "file": "a file named .csv or .xlsx (a multipart file's name has no schema)",
    "custom.*": "keys must be custom fields the admin defined, values of each field's type",
    "filter.*": "a saved view's or export's filters are those of its list (`object`), each "
                "value of its filter's type",
    "stage_id": "must name a stage of the deal's pipeline; a bulk update names a stage, an "
                "owner or both",
    "sort": "one of the sorts of the list the view or settings belong to",
    "labels.zh-CN": "a picklist value is named by its Chinese words (labels) or the older label",
}

# Rules across fields of one operation, named by the field the answer puts them on.
BEYOND_SHAPE_OF = {
    ("POST", "/api/v1/leads"): {
        "name": "a lead a person types says who it is: a name, company, phone or e-mail"},
}


def _field_key(field: str) -> str:
    if field.startswith("custom."):
        # a custom field's key is free text, dots included
        return "custom.*"
    if field.startswith("filter."):
        return "filter.*"
    return ".".join("*" if part.isdigit() else part for part in field.split("."))


def _breaks_its_pattern(case: schemathesis.Case, field: str) -> bool:
    """A header or query value the generator took for valid though it does not match the
    parameter's declared pattern (the coverage phase does not always honour `pattern`)."""
    operation = DOCUMENT["paths"][case.path][case.method.lower()]
    for parameter in operation.get("parameters", []):
        if parameter["name"].lower() != field.lower():
            continue
        variants = [parameter["schema"], *parameter["schema"].get("anyOf", [])]
        patterns = [v["pattern"] for v in variants if "pattern" in v]
        sent = {**(case.headers or {}), **(case.query or {})}
        value = next((v for k, v in sent.items() if k.lower() == field.lower()), None)
        # an optional header's null goes out as the text "null", which matches no pattern
        return (bool(patterns) and isinstance(value, str)
                and not any(re.search(pattern, value) for pattern in patterns))
    return False


def valid_data_accepted(ctx: Any, response: Any, case: schemathesis.Case) -> bool | None:
    """positive_data_acceptance, but a 422 naming only BEYOND_SHAPE fields (or values that are
    not valid after all) is the contract."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        sent_headers = {name.lower() for name in case.headers or {}}
        if response.status_code == 412 and "if-match" in sent_headers:
            return None  # a well-formed version that is not the current one: state, not shape
        if response.status_code != 422:
            raise
        errors = json.loads(response.content).get("errors") or [{"field": "?"}]
        operation_rules = BEYOND_SHAPE_OF.get((case.method.upper(), case.path), {})
        if all(_beyond_shape(e["field"]) or e["field"] in operation_rules
               or _breaks_its_pattern(case, e["field"]) for e in errors):
            return None
        raise


def _beyond_shape(field: str) -> bool:
    # a reference names something wherever it sits (rules.0.department_id as department_id)
    key = _field_key(field)
    return key in BEYOND_SHAPE or key.rsplit(".", 1)[-1] in BEYOND_SHAPE


class AppPerLifespan:
    """The app as schemathesis runs it, on its own event loop thread, which starts and ends
    the app's lifespan around each operation's test: each lifespan gets a container of its own,
    opened on that loop and closed there."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.container: Container | None = None
        self.app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.container = build(self.settings)
                self.app = create_web_app(self.container)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.container is not None:
                    await self.container.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


class Fuzzed:
    """The app under test and the credentials it is called with."""

    def __init__(self, app: AppPerLifespan, world: World) -> None:
        self.app = app
        self.world = world


async def _seed(container: Container) -> World:
    # Not the per-test clean slate (one organisation serves every operation here), but the
    # same emptying, so that the seed never meets the previous test's rows.
    async with container.engine.begin() as conn:
        await conn.execute(text("SET LOCAL crm.audit_retention = 'on'"))
        await conn.execute(text(f"TRUNCATE {', '.join(TABLES)} CASCADE"))
    return await World(container).build()


@pytest.fixture(scope="module")
def fuzzed(settings: Settings) -> Iterator[Fuzzed]:
    # Seeded on a loop of its own, then closed: the app's containers live on the loop
    # schemathesis runs the app on.
    with start_blocking_portal() as portal:
        seeder = build(settings)
        world = portal.call(_seed, seeder)
        portal.call(seeder.close)
    yield Fuzzed(AppPerLifespan(settings), world)
    shutdown_lifespans()


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_the_server_keeps_its_contract(case: schemathesis.Case, fuzzed: Fuzzed) -> None:
    who = "service_agent" if (case.method, case.path) in OWN_PRINCIPAL else "admin"
    case.call_and_validate(app=fuzzed.app, headers=fuzzed.world.auth(who),
                           excluded_checks=[positive_data_acceptance],
                           additional_checks=[valid_data_accepted])
