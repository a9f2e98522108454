"""One shape per customer: the response models (CustomerOut, ContactOut, Tombstone) define it;
the list's SQL document (adapters.db.customers.DOC_FIELDS) and the document migration 0016's
trigger keeps in customer_docs (crm_customer_doc) must write the same fields in the same
order, from the same columns.

What the SQL documents hold differently, by design: personal data comes from the masked
columns (never decrypted in the database), money as numeric text, times through crm_json_ts
(the API's format); a deleted customer is a tombstone, written at read time (TOMBSTONE_FIELDS).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from adapters.db.customer_documents import CONTACT_DOCS, DOC_FIELDS, TOMBSTONE_FIELDS
from api.v1.schemas.customers import ContactOut, CustomerOut, CustomerSparse, Tombstone
from tests.unit.test_customer_out import BARE, FULL

ROOT = Path(__file__).resolve().parents[2]
(MIGRATION,) = ROOT.glob("migrations/versions/*_0016_*.py")
PERSONAL = {"id_card_number", "mobile", "landline", "email"}


def assigned_text(path: Path, name: str) -> str:
    """The string a module assigns to `name`, read without importing the module."""
    for node in ast.parse(path.read_text()).body:
        if (isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in node.targets)
                and isinstance(node.value, ast.Constant)):
            return str(node.value.value)
    raise AssertionError(f"{path.name} assigns no {name}")


def call_arguments(sql: str, function: str) -> list[str]:
    """The arguments of the first call of `function` in `sql`, split at its own commas (not
    those inside parentheses or quotes)."""
    at = sql.index(f"{function}(") + len(function) + 1
    args, depth, quoted, current = [], 0, False, ""
    for ch in sql[at:]:
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            if depth == 0:
                break
            depth -= 1
        elif not quoted and depth == 0 and ch == ",":
            args.append(current.strip())
            current = ""
            continue
        current += ch
    return [*args, current.strip()]


def json_object(sql: str) -> list[tuple[str, str]]:
    """(key, SQL expression) of the first json_build_object in `sql`, in order."""
    args = call_arguments(sql, "json_build_object")
    assert len(args) % 2 == 0, args
    return [(key.strip("'"), value) for key, value in zip(args[::2], args[1::2], strict=True)]


def same_sql(text: str) -> str:
    """Spacing and the table's alias (customers, c) do not tell two expressions apart."""
    return re.sub(r"\s+", "", text.replace("customers.", "c."))


TRIGGER_DOC = json_object(assigned_text(MIGRATION, "DOCUMENT"))
CUSTOMER_FIELDS = list(CustomerOut.model_fields)
CONTACT_FIELDS = list(ContactOut.model_fields)


def test_the_list_document_writes_the_response_models_fields_in_order() -> None:
    assert [name for name, _ in DOC_FIELDS] == CUSTOMER_FIELDS
    assert [name for name, _ in json_object(CONTACT_DOCS)] == CONTACT_FIELDS


def test_the_stored_document_of_migration_0016_writes_the_same_fields() -> None:
    assert [name for name, _ in TRIGGER_DOC] == CUSTOMER_FIELDS
    contacts = dict(TRIGGER_DOC)["contacts"]
    assert [name for name, _ in json_object(contacts)] == CONTACT_FIELDS


def test_both_documents_read_each_field_from_the_same_column() -> None:
    trigger = dict(TRIGGER_DOC)
    for name, sql in DOC_FIELDS:
        assert same_sql(sql) == same_sql(trigger[name]), name


def test_personal_data_in_documents_comes_from_the_masked_columns() -> None:
    documents = [*DOC_FIELDS, *json_object(CONTACT_DOCS), *TRIGGER_DOC,
                 *json_object(dict(TRIGGER_DOC)["contacts"])]
    for name, sql in documents:
        assert "_enc" not in sql and "_bidx" not in sql, name
        if name in PERSONAL:
            assert sql.endswith("_masked"), (name, sql)


def test_a_deleted_customer_is_written_as_the_tombstone_model() -> None:
    assert [name for name, _ in TOMBSTONE_FIELDS] == list(Tombstone.model_fields)


@pytest.mark.parametrize("customer", [FULL, BARE], ids=["every-field", "bare"])
def test_get_answers_the_response_models_fields_in_order(customer: object) -> None:
    plain = CustomerOut.plain(customer)  # type: ignore[arg-type]
    assert list(plain) == CUSTOMER_FIELDS
    assert all(list(x) == CONTACT_FIELDS for x in plain["contacts"])


def test_the_check_itself_sees_a_field_out_of_place() -> None:
    moved = json_object("json_build_object('id', c.id, 'name', f(c.a, 'x,y'), 'n', c.n)")
    assert moved == [("id", "c.id"), ("name", "f(c.a, 'x,y')"), ("n", "c.n")]
    assert [name for name, _ in moved] != CUSTOMER_FIELDS[:3]


def test_a_sparse_customer_offers_every_field_of_the_full_one_and_requires_only_its_id() -> None:
    assert list(CustomerSparse.model_fields) == CUSTOMER_FIELDS
    required = [name for name, f in CustomerSparse.model_fields.items() if f.is_required()]
    assert required == ["id"]
