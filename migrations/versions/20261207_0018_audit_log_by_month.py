"""The audit log is partitioned by calendar month, so that retention drops whole months

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 22:00:00

audit_log becomes a table partitioned by RANGE (at): one partition per month (UTC), named
audit_log_y2026m12, from the month of the oldest entry to two months ahead, and a DEFAULT
partition that takes any entry outside them, so an insert never fails. The retention job
prepares the coming months and drops the expired ones. The existing rows are copied with their
ids; the primary key becomes (id, at), as a partitioned table's must include the partition key
(ids still come from one identity sequence). No foreign key refers to audit_log.

Append-only stays: UPDATE and DELETE are refused by a row trigger, which PostgreSQL clones onto
every partition (present and future), and TRUNCATE by a statement trigger; deleting stays
possible for retention (crm.audit_retention = 'on' in its transaction).
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("id, at, actor_type, actor_id, actor_label, ip, request_id, action, target_type, "
           "target_id, diff")

INDEXES = ("""CREATE INDEX ix_audit_log_action_id ON audit_log (action, id)""",
           """CREATE INDEX ix_audit_log_actor_id_id ON audit_log (actor_id, id)""",
           """CREATE INDEX ix_audit_log_at ON audit_log (at)""",
           """CREATE INDEX ix_audit_log_target ON audit_log (target_type, target_id, id)""")


def _table(partitioned: bool) -> str:
    return f"""
CREATE TABLE audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY,
    at timestamp with time zone NOT NULL DEFAULT now(),
    actor_type text NOT NULL,
    actor_id uuid,
    actor_label text NOT NULL,
    ip text,
    request_id text,
    action text NOT NULL,
    target_type text,
    target_id text,
    diff jsonb NOT NULL DEFAULT '{{}}'::jsonb,
    CONSTRAINT pk_audit_log PRIMARY KEY ({'id, at' if partitioned else 'id'})
){' PARTITION BY RANGE (at)' if partitioned else ''}
"""


# From the oldest entry's month (or this one) to two months ahead.
MONTHLY_PARTITIONS = """
DO $$
DECLARE
    month date := date_trunc('month', coalesce(
        (SELECT min(at) FROM audit_log_unpartitioned), now()) AT TIME ZONE 'UTC')::date;
    last date := (date_trunc('month', now() AT TIME ZONE 'UTC') + interval '2 months')::date;
BEGIN
    WHILE month <= last LOOP
        EXECUTE format(
            'CREATE TABLE %I PARTITION OF audit_log FOR VALUES FROM (%L) TO (%L)',
            'audit_log_' || to_char(month, '"y"YYYY"m"MM'),
            month::text || ' 00:00:00+00', (month + interval '1 month')::date::text || ' 00:00:00+00');
        month := (month + interval '1 month')::date;
    END LOOP;
END $$
"""

APPEND_ONLY_FOR_ROWS = ("""
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE') AND current_setting('crm.audit_retention', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP;
END $$
""", """
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()
""", """
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()
""")

APPEND_ONLY_FOR_STATEMENTS = ("""
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE') AND current_setting('crm.audit_retention', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP;
END $$
""", """
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()
""")


# The new table's identity sequence takes the usual name.
RENAME_OLD_SEQUENCE = """
DO $$
BEGIN
    EXECUTE format('ALTER SEQUENCE %s RENAME TO audit_log_unpartitioned_id_seq',
                   pg_get_serial_sequence('audit_log_unpartitioned', 'id'));
END $$
"""


def _set_old_table_aside() -> None:
    op.execute("ALTER TABLE audit_log RENAME TO audit_log_unpartitioned")
    op.execute(RENAME_OLD_SEQUENCE)
    op.execute("ALTER TABLE audit_log_unpartitioned "
               "RENAME CONSTRAINT pk_audit_log TO pk_audit_log_unpartitioned")
    for name in ("ix_audit_log_action_id", "ix_audit_log_actor_id_id", "ix_audit_log_at",
                 "ix_audit_log_target"):
        op.execute(f"DROP INDEX {name}")


def _move_rows_from_unpartitioned() -> None:
    op.execute(f"INSERT INTO audit_log ({COLUMNS}) OVERRIDING SYSTEM VALUE "  # noqa: S608
               f"SELECT {COLUMNS} FROM audit_log_unpartitioned")
    op.execute("SELECT setval(pg_get_serial_sequence('audit_log', 'id'), "
               "coalesce((SELECT max(id) FROM audit_log), 0) + 1, false)")
    op.execute("DROP TABLE audit_log_unpartitioned")
    for index in INDEXES:
        op.execute(index)


def upgrade() -> None:
    # Nothing may write the old table while its rows move.
    op.execute("LOCK TABLE audit_log IN EXCLUSIVE MODE")
    _set_old_table_aside()
    op.execute("DROP TRIGGER audit_log_append_only ON audit_log_unpartitioned")
    op.execute(_table(partitioned=True))
    op.execute("CREATE TABLE audit_log_default PARTITION OF audit_log DEFAULT")
    op.execute(MONTHLY_PARTITIONS)
    _move_rows_from_unpartitioned()
    for statement in APPEND_ONLY_FOR_ROWS:
        op.execute(statement)


def downgrade() -> None:
    op.execute("LOCK TABLE audit_log IN EXCLUSIVE MODE")
    _set_old_table_aside()
    op.execute("DROP TRIGGER audit_log_append_only ON audit_log_unpartitioned")
    op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log_unpartitioned")
    op.execute(_table(partitioned=False))
    _move_rows_from_unpartitioned()  # the partitions go with their table
    for statement in APPEND_ONLY_FOR_STATEMENTS:
        op.execute(statement)
