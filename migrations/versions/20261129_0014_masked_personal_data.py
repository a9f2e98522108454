"""personal data's masked forms beside the ciphertext; customer pages built as JSON in SQL

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 07:30:00
"""
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A timestamp as the API writes it everywhere else (pydantic): UTC, "Z", microseconds only
# when there are any. The customer list's JSON is built by PostgreSQL with it. STABLE like
# to_char, so the planner inlines it (~1 us a call; a function call would be ~5 us).
JSON_TS = """
CREATE OR REPLACE FUNCTION crm_json_ts(ts timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT replace(to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '.000000', '')
           || 'Z'
$$"""

CONTACT_FIELDS = ("mobile", "landline", "email")
BATCH = 5000


def upgrade() -> None:
    for kind in CONTACT_FIELDS:
        op.add_column("contacts", sa.Column(f"{kind}_masked", sa.Text()))
    op.add_column("customers", sa.Column("id_card_masked", sa.Text()))
    op.execute(JSON_TS)
    _backfill()


def _backfill() -> None:
    """The masked forms of the rows already there, with the application's field key (from the
    environment, as the application reads it). Nothing to do on a new database."""
    bind = op.get_bind()
    if not bind.execute(sa.text(
            "SELECT EXISTS (SELECT 1 FROM contacts WHERE mobile_enc IS NOT NULL "
            "OR landline_enc IS NOT NULL OR email_enc IS NOT NULL) "
            "OR EXISTS (SELECT 1 FROM customers WHERE id_card_enc IS NOT NULL)")).scalar():
        return
    from adapters.crypto.fields import AesGcmFieldCipher
    from adapters.settings import Settings
    from domain.customers.personal import mask_email, mask_id_card, mask_phone

    settings = Settings()
    cipher = AesGcmFieldCipher(settings.field_key, settings.blind_index_key)

    def masked(mask, token):  # type: ignore[no-untyped-def]
        return mask(cipher.decrypt(token)) if token else None

    last = uuid.UUID(int=0)
    while True:
        rows = bind.execute(sa.text(
            "SELECT id, mobile_enc, landline_enc, email_enc FROM contacts "
            "WHERE id > :last ORDER BY id LIMIT :n"), {"last": last, "n": BATCH}).all()
        if not rows:
            break
        bind.execute(sa.text(
            "UPDATE contacts SET mobile_masked = :m, landline_masked = :l, email_masked = :e "
            "WHERE id = :id"),
            [{"id": r.id, "m": masked(mask_phone, r.mobile_enc),
              "l": masked(mask_phone, r.landline_enc), "e": masked(mask_email, r.email_enc)}
             for r in rows])
        last = rows[-1].id
    rows = bind.execute(sa.text(
        "SELECT id, id_card_enc FROM customers WHERE id_card_enc IS NOT NULL")).all()
    if rows:
        bind.execute(sa.text("UPDATE customers SET id_card_masked = :m WHERE id = :id"),
                     [{"id": r.id, "m": masked(mask_id_card, r.id_card_enc)} for r in rows])


def downgrade() -> None:
    op.execute("DROP FUNCTION crm_json_ts(timestamptz)")
    op.drop_column("customers", "id_card_masked")
    for kind in CONTACT_FIELDS:
        op.drop_column("contacts", f"{kind}_masked")
