"""Round-robin turns are numbered by a sequence of the department's: no lock held to commit

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 15:00:00

A round-robin capture used to lock its department's row in lead_rotation until it committed:
captures of one department took their turns one after the other, each waiting for the
previous one's remaining round trips and commit, and with eight captures at once that queue
was most of the latency. Now a round-robin capture draws the next number of its department's
sequence, lead_turn_<department id in hex>; the rep is the number's place in the rotation.
A sequence hands out each number once and holds nothing until commit.

Every department gets its sequence: a trigger creates it with the department (another drops
it with the department), and this migration creates one for each department there is.
Least-loaded routing still locks the department's row (it must see the leads of captures
that commit before it).
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Runs `command` on each existing department's sequence name.
EACH_DEPARTMENT = """
DO $$
DECLARE name text;
BEGIN
    FOR name IN SELECT 'lead_turn_' || replace(d.id::text, '-', '') FROM departments AS d LOOP
        EXECUTE format('COMMAND %I', name);
    END LOOP;
END $$"""


def _each_department(command: str) -> None:
    op.execute(EACH_DEPARTMENT.replace("COMMAND", command))


# A trigger that runs `command` on the sequence of the department inserted or deleted.
TRIGGER = """
CREATE FUNCTION crm_NAME() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COMMAND %I', 'lead_turn_' || replace(ROW.id::text, '-', ''));
    RETURN NULL;
END $$"""


def _trigger(name: str, event: str, row: str, command: str) -> None:
    op.execute(TRIGGER.replace("NAME", name).replace("COMMAND", command).replace("ROW", row))
    op.execute(f"CREATE TRIGGER {name} AFTER {event} ON departments "
               f"FOR EACH ROW EXECUTE FUNCTION crm_{name}()")


def upgrade() -> None:
    _trigger("departments_turn_sequence", "INSERT", "NEW", "CREATE SEQUENCE IF NOT EXISTS")
    _trigger("departments_turn_sequence_gone", "DELETE", "OLD", "DROP SEQUENCE IF EXISTS")
    _each_department("CREATE SEQUENCE IF NOT EXISTS")


def downgrade() -> None:
    for name in ("departments_turn_sequence_gone", "departments_turn_sequence"):
        op.execute(f"DROP TRIGGER {name} ON departments")
        op.execute(f"DROP FUNCTION crm_{name}()")
    _each_department("DROP SEQUENCE IF EXISTS")
